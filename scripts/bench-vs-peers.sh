#!/usr/bin/env bash
# Puts kexec-sim next to the stock tools on the same files, in one run: checksum vs sha256sum,
# openssl and b3sum; diff vs cmp and cmp -l; a sparse pair; startup. Each command runs 3 times
# and the median wall time counts (CPU time user+sys is shown too: on a shared machine it moves
# less than wall time). The load average is printed before and after, since every ratio is
# only as good as the machine was quiet.
#
#   scripts/bench-vs-peers.sh [--readme] [SIZE] [DIR]
#     SIZE   dense image size for the checksum and diff pairs (default 3G)
#     DIR    where the images go (default /var/tmp); they are deleted at the end
#     --readme  also rewrites the README section between the bench-vs-peers markers
#   BENCH_SPARSE=64G  apparent size of the sparse pair (64 data extents of 1 MiB)
#   BENCH_JMH=no      skip the identity-map and walk pairs (JMH next to the C peers in
#                     benchmarks/peers, compiled here with gcc -O2; about 3 minutes)
#   BENCH_ONLY=REGEX  time only the runs whose key matches (extended regex over the keys:
#                     sha256sum openssl ck_sha b3sum ck_b3 cmp_same diff_same cmpl_1pct
#                     diff_1pct cmp_sparse diff_sparse version), e.g. BENCH_ONLY='same|1pct|sparse'
#                     for the diff pairs; the others print "-" (not with --readme); one that
#                     matches no key is refused (exit 2)
#   BENCH_ROWS=jmh    only those pairs (no images are made; the table has only their rows)
#
# Targets (issue 17) are checked in the last column; a ratio is peer time / kexec-sim time, so
# above 1 means kexec-sim is faster.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
readme=""
if [ "${1:-}" = "--readme" ]; then readme=yes; shift; fi
size=${1:-3G}
only=${BENCH_ONLY:-}
if [ -n "$only" ] && [ -n "$readme" ]; then echo "bench-vs-peers: BENCH_ONLY makes a partial table; not with --readme" >&2; exit 2; fi
if [ "${BENCH_ROWS:-all}" = jmh ] && [ -n "$readme" ]; then echo "bench-vs-peers: BENCH_ROWS=jmh makes a partial table; not with --readme" >&2; exit 2; fi
base=${2:-/var/tmp}
sparse=${BENCH_SPARSE:-64G}
ksim="$root/kexec-sim"
wanted() { [ -z "$only" ] || grep -Eq -- "$only" <<<"$1"; }
keys="sha256sum openssl ck_sha b3sum ck_b3 cmp_same diff_same cmpl_1pct diff_1pct cmp_sparse diff_sparse version"
any_wanted() { local k; for k in "$@"; do wanted "$k" && return 0; done; return 1; }
# grep exits 2 on a bad regex, 1 on no match: either way no run would be timed
if [ -n "$only" ] && ! any_wanted $keys; then echo "bench-vs-peers: BENCH_ONLY='$only' matches none of: $keys" >&2; exit 2; fi
for tool in cmp sha256sum openssl b3sum python3 /usr/bin/time gcc; do
  command -v "$tool" >/dev/null || { echo "bench-vs-peers: $tool is missing (b3sum: apt-get install b3sum)" >&2; exit 4; }
done
work=$(mktemp -d "$base/kexec-sim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$ksim" --version >/dev/null # builds the CLI first if needed, outside the timings

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench-vs-peers: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load average $(load)" >&2

declare -A wall cpu rss
if [ "${BENCH_ROWS:-all}" != jmh ]; then # the file and CLI pairs (not indented: a filter only)
bytes=$(numfmt --from=iec "$size")
echo "making ${size} images in $work ..." >&2
# random bytes at disk speed (AES-CTR of zeros); openssl dies of SIGPIPE when head has enough
{ openssl enc -aes-128-ctr -pass pass:kexec-sim -nosalt -pbkdf2 </dev/zero 2>/dev/null || true; } | head -c "$bytes" >"$work/a.img"
# each file is made only when a run that reads it is wanted (BENCH_ONLY)
if any_wanted cmp_same diff_same; then cp "$work/a.img" "$work/b.img"; fi
if any_wanted cmpl_1pct diff_1pct; then
cp "$work/a.img" "$work/c.img"
python3 - "$work/c.img" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)             # 1% of pages differ: one byte in every 100th page
for page in range(0, os.fstat(fd).st_size // 4096, 100):
    off = page * 4096 + 123
    os.pwrite(fd, bytes([os.pread(fd, 1, off)[0] ^ 0xff]), off)
os.close(fd)
EOF
fi
if any_wanted cmp_sparse diff_sparse; then
python3 - "$work/s1.img" "$work/s2.img" "$(numfmt --from=iec "$sparse")" <<'EOF'
import os, sys
s1, s2, sparse = sys.argv[1], sys.argv[2], int(sys.argv[3])
block = os.urandom(1 << 20)
for path, extra in ((s1, False), (s2, True)):    # sparse: 64 extents of 1 MiB, one byte differs
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.ftruncate(fd, sparse)
    for i in range(64):
        os.pwrite(fd, block, i * (sparse // 64) + (7 << 20))
    if extra:
        os.pwrite(fd, b"x", 5 * (sparse // 64) + (7 << 20) + 3 * 4096)
    os.close(fd)
EOF
fi
# into the page cache: the pairs compare compute, not disk (only the dense images: cat on the
# sparse pair would read its whole apparent size of zeros)
for img in a b c; do if [ -f "$work/$img.img" ]; then cat "$work/$img.img" >/dev/null; fi; done

# run NAME CMD...: 3 runs; prints "wall cpu rss_kib" medians
run() {
  local out="$work/time" i
  : >"$work/runs"
  for i in 1 2 3; do
    # stdout to a file, not /dev/null: GNU cmp notices /dev/null and stops at the first difference
    # exit 0, or 1 where a comparison found differences (cmp, diff); anything else is a failure
    # that must fail the script, not be timed as a fast run
    local rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$out" "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "bench-vs-peers: '$*' failed (exit $rc): $(grep -v '^Command exited' "$work/stderr" | head -n 1)" >&2
      return 1
    fi
    tail -n 1 "$out" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' >>"$work/runs"
  done
  for col in 1 2 3; do sort -n -k"$col","$col" "$work/runs" | awk -v c="$col" 'NR == 2 {printf "%s ", $c}'; done
  echo
}

raw=(--format raw --ram-map "0+$size")
measure() { # KEY CMD...
  local key=$1; shift
  if ! wanted "$key"; then
    wall[$key]=-; cpu[$key]=-; rss[$key]=-
    return
  fi
  # not through < <(...): a failing run must stop the script, which a process substitution hides
  run "$@" >"$work/medians" || exit 4
  read -r wall[$key] cpu[$key] rss[$key] <"$work/medians"
  echo "  $key: ${wall[$key]} s wall, ${cpu[$key]} s cpu, ${rss[$key]} KiB" >&2
}
fi
echo "load before: $(load)" >&2
load_before=$(load)
if [ "${BENCH_ROWS:-all}" != jmh ]; then
measure sha256sum sha256sum "$work/a.img"
measure openssl openssl dgst -sha256 "$work/a.img"
measure ck_sha "$ksim" checksum "${raw[@]}" "$work/a.img"
measure b3sum b3sum "$work/a.img"
measure ck_b3 "$ksim" checksum --algo blake3 "${raw[@]}" "$work/a.img"
measure cmp_same cmp "$work/a.img" "$work/b.img"
measure diff_same "$ksim" diff "${raw[@]}" "$work/a.img" "$work/b.img"
measure cmpl_1pct cmp -l "$work/a.img" "$work/c.img"
measure diff_1pct "$ksim" diff "${raw[@]}" "$work/a.img" "$work/c.img"
measure cmp_sparse cmp "$work/s1.img" "$work/s2.img"
measure diff_sparse "$ksim" diff --format raw --ram-map "0+$sparse" "$work/s1.img" "$work/s2.img"
measure version "$ksim" --version
fi

# Identity maps and walks: the JMH benchmarks (steady state, memory reused) next to C peers built
# here; both report a rate measured inside the process, so the ratio is of rates, not of runs.
# Both take the median over short passes (the C peers time each build / each batch of 65,536
# walks; JMH runs in sample mode, timing each invocation, which is one build / one batch): a
# median of passes is what a busy 2-core machine leaves comparable, where a mean over seconds
# counts the time the process waited for a core.
declare -A rate
if [ "${BENCH_JMH:-yes}" != no ] && [ -z "$only" ]; then
  . "$root/scripts/find-jdk.sh"
  "$root/bench" -l >/dev/null # builds benchmarks/target/benchmarks.jar
  gcc -O2 -o "$work/ident_map" "$root/benchmarks/peers/ident_map.c"
  gcc -O2 -o "$work/walk" "$root/benchmarks/peers/walk.c"
  jmh() { "$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -jar "$root/benchmarks/target/benchmarks.jar" "$@" \
    -wi 2 -i 3 -w 2 -r 2 -bm sample -tu ns -rf json -rff "$work/jmh.json" >"$work/jmh.log" 2>&1; }
  # rate = operations per invocation / median invocation time (ns per op for the walks, whose
  # invocation is 65,536 walks; per build for the maps, times the entries the build wrote)
  jmh IdentityMapBenchmark.build -p memory=reused -p layout=64G/4K,4T/2M
  while read -r key value; do rate[$key]=$value; done < <(python3 - "$work/jmh.json" "$work/jmh.log" <<'EOF2'
import json, re, sys
entries = {(h, l): int(n) for h, l, n in re.findall(r"entries per build: (\S+) (\S+) (\d+)", open(sys.argv[2]).read())}
for r in json.load(open(sys.argv[1])):
    p = r["params"]
    ns = r["primaryMetric"]["scorePercentiles"]["50.0"]
    print(f"{p['how']}_{p['layout'].replace('/', '_')} {entries[(p['how'], p['layout'])] / ns * 1e9:.0f}")
EOF2
)
  jmh 'TranslationBenchmark.translate(All)?$' -p mappedGiB=64
  while read -r key value; do rate[$key]=$value; done < <(python3 - "$work/jmh.json" <<'EOF2'
import json, sys
for r in json.load(open(sys.argv[1])):
    print(f"{r['benchmark'].rsplit('.', 1)[1]} {1e9 / r['primaryMetric']['scorePercentiles']['50.0']:.0f}")
EOF2
)
  # each Java side against the peer taking its shortcuts (ident_map.c: the writer's "writer")
  for layout in 64G_4K 4T_2M; do
    rate[c_builder_$layout]=$("$work/ident_map" "${layout%_*}" "${layout#*_}" 10 | sed -n 's/.*median_entries_per_s=\([0-9]*\).*/\1/p')
    rate[c_writer_$layout]=$("$work/ident_map" "${layout%_*}" "${layout#*_}" 10 writer | sed -n 's/.*median_entries_per_s=\([0-9]*\).*/\1/p')
  done
  read -r rate[c_single] rate[c_batched] < <("$work/walk" 64 10 | sed -n 's/single_per_s=\([0-9]*\) batched_per_s=\([0-9]*\).*/\1 \2/p')
  for key in "${!rate[@]}"; do echo "  rate $key: ${rate[$key]}/s" >&2; done
fi
load_after=$(load)
echo "load after: $load_after" >&2

# "-" is a run BENCH_ONLY left out: every figure made from it is "-" too
ratio() { awk -v p="$1" -v k="$2" 'BEGIN {if (p == "-" || k == "-") printf "-"; else printf "%.2f", (k > 0 ? p / k : 0)}'; }
check() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {if (v == "-") {printf "not measured"; exit} ok = (op == ">=" ? v >= t : v <= t); printf "%s (%s %s)", (ok ? "met" : "NOT met"), op, t}'; }
mib() { awk -v k="$1" 'BEGIN {if (k == "-") printf "-"; else printf "%.0f MiB", k / 1024}'; }
mrate() { awk -v r="$1" 'BEGIN {printf "%.1f M", r / 1e6}'; }
gbps() { awk -v b="$bytes" -v s="$1" 'BEGIN {if (s == "-") printf "-"; else printf "%.2f GB/s", (s > 0 ? b / s / 1e9 : 0)}'; }

table() {
  local r
  echo "Measured by \`scripts/bench-vs-peers.sh $size\` on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')),"
  echo "load average $load_before before and $load_after after; medians of 3, files in the page cache."
  echo "Ratio = peer wall time / kexec-sim wall time (above 1: kexec-sim is faster); for the identity-map"
  echo "and walk rows, kexec-sim's JMH rate / the C peer's rate, both single-threaded, measured in-process, medians"
  echo "of passes (JMH in sample mode); each C peer does the same work as the Java side (see benchmarks/peers)."
  echo
  echo "| pair | kexec-sim | peer | ratio (wall) | ratio (cpu) | target |"
  echo "|---|---|---|---|---|---|"
  if [ "${BENCH_ROWS:-all}" != jmh ]; then
  r=$(ratio "${wall[openssl]}" "${wall[ck_sha]}")
  echo "| \`checksum\` (sha256) vs \`openssl dgst -sha256\`, $size | ${wall[ck_sha]} s ($(gbps "${wall[ck_sha]}")) | ${wall[openssl]} s | $r | $(ratio "${cpu[openssl]}" "${cpu[ck_sha]}") | $(check "$r" 0.9 '>=') |"
  r=$(ratio "${wall[sha256sum]}" "${wall[ck_sha]}")
  echo "| \`checksum\` (sha256) vs \`sha256sum\` | ${wall[ck_sha]} s | ${wall[sha256sum]} s | $r | $(ratio "${cpu[sha256sum]}" "${cpu[ck_sha]}") | |"
  r=$(ratio "${wall[b3sum]}" "${wall[ck_b3]}")
  echo "| \`checksum --algo blake3\` vs \`b3sum\` (both on all cores) | ${wall[ck_b3]} s ($(gbps "${wall[ck_b3]}")) | ${wall[b3sum]} s | $r | $(ratio "${cpu[b3sum]}" "${cpu[ck_b3]}") | $(check "$r" 1 '>=') |"
  r=$(ratio "${wall[cmp_same]}" "${wall[diff_same]}")
  echo "| \`diff\` vs \`cmp\`, identical $size | ${wall[diff_same]} s | ${wall[cmp_same]} s | $r | $(ratio "${cpu[cmp_same]}" "${cpu[diff_same]}") | $(check "$r" 3 '>=') |"
  r=$(ratio "${wall[cmpl_1pct]}" "${wall[diff_1pct]}")
  echo "| \`diff\` vs \`cmp -l\`, 1% of pages differ | ${wall[diff_1pct]} s | ${wall[cmpl_1pct]} s | $r | $(ratio "${cpu[cmpl_1pct]}" "${cpu[diff_1pct]}") | $(check "$r" 1 '>=') |"
  r=$(ratio "${wall[cmp_sparse]}" "${wall[diff_sparse]}")
  echo "| \`diff\` vs \`cmp\`, sparse $sparse pair (64 MiB data) | ${wall[diff_sparse]} s, $(mib "${rss[diff_sparse]}") resident | ${wall[cmp_sparse]} s | $r | $(ratio "${cpu[cmp_sparse]}" "${cpu[diff_sparse]}") | $(check "${wall[diff_sparse]}" 1 '<='); $(check "$(awk -v k="${rss[diff_sparse]}" 'BEGIN {if (k == "-") print "-"; else printf "%d", k / 1024}')" 512 '<=') MiB |"
  echo "| \`./kexec-sim --version\` | ${wall[version]} s | | | | $(check "${wall[version]}" 0.2 '<=') |"
  fi
  if [ -n "${rate[c_single]:-}" ]; then
    local layout how target c
    for layout in 64G_4K 4T_2M; do
      for how in builder writer; do
        target=$([ "$how" = builder ] && echo 0.8 || echo 1)
        r=$(ratio "${rate[${how}_$layout]}" "${rate[c_${how}_$layout]}")
        echo "| identity map ${layout/_/\/}, \`$how\` (JMH, memory reused) vs \`ident_map.c\` -O2, same shortcuts | $(mrate "${rate[${how}_$layout]}") entries/s | $(mrate "${rate[c_${how}_$layout]}") entries/s | $r (rates) | | $(check "$r" "$target" '>=') |"
      done
    done
    r=$(ratio "${rate[translate]}" "${rate[c_single]}")
    echo "| 64 GiB 4 KiB walks, single (\`translate\`) vs \`walk.c\` single, same checks | $(mrate "${rate[translate]}")/s | $(mrate "${rate[c_single]}")/s | $r (rates) | | $(check "$r" 0.3 '>=') |"
    c=$(awk -v a="${rate[c_single]}" -v b="${rate[c_batched]}" 'BEGIN {print (a > b ? a : b)}')
    r=$(ratio "${rate[translateAll]}" "$c")
    echo "| 64 GiB 4 KiB walks, batched (\`translateAll\`) vs \`walk.c\`'s fastest of single and 16-, 32- and 64-lane | $(mrate "${rate[translateAll]}")/s | $(mrate "$c")/s | $r (rates) | | $(check "$r" 0.8 '>=') |"
  fi
}
table | tee "$work/table.md"
if [ -n "$readme" ]; then
  python3 - "$root/README.md" "$work/table.md" <<'EOF'
import sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
begin, end = "<!-- bench-vs-peers:begin (scripts/bench-vs-peers.sh --readme rewrites this) -->", "<!-- bench-vs-peers:end -->"
text = open(readme).read()
if begin not in text or end not in text:
    sys.exit("README.md has no bench-vs-peers markers")
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(readme, "w").write(head + begin + "\n" + table + end + tail)
EOF
  echo "bench-vs-peers: README.md section rewritten" >&2
fi
