#!/usr/bin/env bash
# Converts a real /proc/vmcore with the real makedumpfile into every format it writes, for the
# readers' tests. Usage: makedumpfile-variants.sh VMCORE OUT_DIR. Leaves in OUT_DIR:
#   c-d0.kdump c-d31.kdump   kdump-compressed, zlib, dump level 0 and 31
#   l-d0.kdump l-d31.kdump   LZO
#   p-d31.kdump z-d31.kdump  snappy / zstd requested (Debian's 1.7.2 has both disabled: it writes
#                            those pages uncompressed, the header still says kdump-compressed)
#   c-d31.flat               flattened (-F, the stream sent over ssh), zlib, level 31
#   split2.{1,2} split3.{1,2,3}  --split into 2 and 3 files, zlib, level 31
# makedumpfile is built per architecture: Debian's amd64 one reads x86_64 vmcores only, so an
# i386 (or PAE) vmcore needs Debian's i386 build: MAKEDUMPFILE names the binary to run (default:
# makedumpfile on PATH; real-dump-inputs.sh extracts the i386 one into the cache).
set -euo pipefail
VMCORE=${1:?usage: makedumpfile-variants.sh VMCORE OUT_DIR}
OUT=${2:?usage: makedumpfile-variants.sh VMCORE OUT_DIR}
MDF=${MAKEDUMPFILE:-makedumpfile}
command -v "$MDF" >/dev/null || { echo "makedumpfile-variants: $MDF missing" >&2; exit 1; }
mkdir -p "$OUT"
run() { # OUTPUT-NAME ARGS...: one conversion, its messages kept only on failure
  local name=$1; shift
  if ! timeout 300 "$MDF" "$@" > "$OUT/$name.log" 2>&1; then
    echo "makedumpfile-variants: $MDF $* failed:" >&2; cat "$OUT/$name.log" >&2; exit 1
  fi
  rm -f "$OUT/$name.log"
}
for c in c l; do
  for d in 0 31; do run $c-d$d.kdump -$c -d $d "$VMCORE" "$OUT/$c-d$d.kdump"; done
done
run p-d31.kdump -p -d 31 "$VMCORE" "$OUT/p-d31.kdump"
run z-d31.kdump -z -d 31 "$VMCORE" "$OUT/z-d31.kdump"
if ! timeout 300 "$MDF" -F -c -d 31 "$VMCORE" > "$OUT/c-d31.flat" 2> "$OUT/flat.log"; then
  echo "makedumpfile-variants: $MDF -F failed:" >&2; cat "$OUT/flat.log" >&2; exit 1
fi
rm -f "$OUT/flat.log"
run split2 --split -c -d 31 "$VMCORE" "$OUT/split2.1" "$OUT/split2.2"
run split3 --split -c -d 31 "$VMCORE" "$OUT/split3.1" "$OUT/split3.2" "$OUT/split3.3"
chmod a+r "$OUT"/*
