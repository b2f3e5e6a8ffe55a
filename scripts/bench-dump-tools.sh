#!/usr/bin/env bash
# Side by side: kexec-sim diff against cmp, kexec-sim checksum against sha256sum and b3sum, on
# images of SIZE (default 8G) in DIR (default a fresh directory under /tmp). The images are
# random; C is an exact copy of A, B differs from A in 1% of its 4 KiB pages. Only two images
# exist at a time, each read once before timing, so every tool runs from the page cache: it
# needs 2 x SIZE of disk and of free RAM. Prints MB/s (10^6 bytes per second of one image).
#   scripts/bench-dump-tools.sh [SIZE] [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${1:-8G}
DIR=${2:-$(mktemp -d /tmp/kexec-sim-bench.XXXXXX)}
mkdir -p "$DIR"
bytes=$(numfmt --from=iec "$SIZE")
sim() { "$root/kexec-sim" "$@"; }
sim --version >/dev/null # build once, outside the timings

rate() { # label seconds
  awk -v l="$1" -v s="$2" -v b="$bytes" 'BEGIN { printf "%-40s %7.2f s %8.0f MB/s\n", l, s, b / s / 1e6 }'
}
timed() { # label command...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null 2>&1 || true   # diff and cmp exit 1 on differences
  t1=$(date +%s.%N)
  rate "$label" "$(echo "$t1 - $t0" | bc)"
}
map="0+$bytes"
rm -f "$DIR/b.img" "$DIR/c.img"
if [ ! -f "$DIR/a.img" ] || [ "$(stat -c %s "$DIR/a.img")" != "$bytes" ]; then
  echo "making $SIZE images in $DIR ..." >&2
  head -c "$bytes" /dev/urandom > "$DIR/a.img"
fi
cp "$DIR/a.img" "$DIR/c.img"
cat "$DIR/a.img" "$DIR/c.img" > /dev/null
echo "images of $SIZE, JVM start-up included in kexec-sim's times"
timed "cmp A C (identical)" cmp "$DIR/a.img" "$DIR/c.img"
timed "kexec-sim diff A C (identical)" sim diff --ram-map "$map" "$DIR/a.img" "$DIR/c.img"
mv "$DIR/c.img" "$DIR/b.img"
python3 - "$DIR/b.img" "$bytes" <<'PY'
import os, random, sys
path, size = sys.argv[1], int(sys.argv[2])
pages = size // 4096
random.seed(1)
with open(path, "r+b") as f:
    for p in sorted(random.sample(range(pages), pages // 100)):
        f.seek(p * 4096)
        f.write(os.urandom(4096))
PY
cat "$DIR/a.img" "$DIR/b.img" > /dev/null
timed "kexec-sim diff A B (1% of pages differ)" sim diff --ram-map "$map" "$DIR/a.img" "$DIR/b.img"
rm -f "$DIR/b.img"
timed "sha256sum A" sha256sum "$DIR/a.img"
if command -v b3sum >/dev/null; then timed "b3sum A" b3sum "$DIR/a.img"; else echo "b3sum not installed (apt-get install b3sum): skipped"; fi
timed "kexec-sim checksum --algo sha256 A" sim checksum --ram-map "$map" --algo sha256 "$DIR/a.img"
timed "kexec-sim checksum --algo blake3 A" sim checksum --ram-map "$map" --algo blake3 "$DIR/a.img"
echo "image A kept in $DIR (delete it when done)"
