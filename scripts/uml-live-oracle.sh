#!/bin/sh
# The live oracle of the UML cost model: boots Debian's user-mode-linux (ptrace mode, hostfs root,
# no disk image; uml-anchors.md §5) once per workload, runs the workload with 0 and N units between
# console markers and prints what the UML kernel process spent per unit: ptrace calls, wait4 calls
# and resumes (PTRACE_SYSEMU/CONT/SYSCALL = round trips). Only the kernel process is traced
# (strace -f breaks UML). Needs linux.uml, strace, gcc (static glibc) and ptrace permission.
# Usage: scripts/uml-live-oracle.sh [OP N]...   (default: every workload)
# Output, one line per workload, key-value pairs after "OP n=N":
#   ptrace, wait4, round-trips       per unit, clock-tick stops left out (the mechanism's own cost)
#   timer-ptrace, timer-wait4, timer-resumes   per unit, what the clock tick's SIGALRM stops cost
#   ticks                            SIGALRMs the UML kernel took per unit (its timer, HZ=100)
#   ms                               wall time per unit
#   hz                               SIGALRMs per second of the N run (100 on a quiet host: HZ;
#                                    fewer when load delays UML's one-shot timer reprogramming)
#   tick-sd-ms                       standard deviation of the intervals between those SIGALRMs
#   us-per-ptrace, us-per-wait4      mean wall time per traced call of the N run (strace -ttt: the
#                                    time until the next traced event; the rates the model's
#                                    clock takes with --ticks, UmlLiveOracleTest)
#   us-blocked-per-wait4             of that, the time inside wait4 (strace -T), where a SIGALRM
#                                    interrupts it
# After the workloads, one line "pooled over OP,...:" sums their N runs: us-per-ptrace,
# us-per-wait4, us-blocked-per-wait4, tick-interval-ms, tick-sd-ms and jitter-ms (Ticks.MEASURED's
# figures come from such a line).
# A workload that fails prints "OP: FAILED ..." and the others still run; the exit status is then 1.
# Arguments that are not OP N pairs with N >= 1 stop the script at once: one line, exit status 2.
# UML_ORACLE_DIR keeps the traces (trace-OP.txt) and consoles there; with UML_ORACLE_REUSE=1 the
# traces found there are analysed again without booting UML (only awk is needed then).
set -eu
reuse=${UML_ORACLE_REUSE:-0}
[ $# -gt 0 ] || set -- getpid 2000 touch 1000 read-then-write 1000 mmap-munmap 1000 mmap-touch-munmap 1000 \
  mprotect 1000 fork-exit-wait 200 fork-exec-exit-wait 50 pipe-pingpong 1000
# arguments first, before anything is built or booted: OP N pairs, each N a whole number above 0
i=0
for arg in "$@"; do
  i=$((i + 1))
  [ $((i % 2)) -eq 0 ] || { op=$arg; continue; }
  case $arg in
    ''|*[!0-9]*) echo "uml-live-oracle: N '$arg' of $op (argument $i) is not a whole number" >&2; exit 2 ;;
  esac
  [ "$arg" -gt 0 ] || { echo "uml-live-oracle: N of $op (argument $i) must be at least 1" >&2; exit 2; }
done
[ $((i % 2)) -eq 0 ] || { echo "uml-live-oracle: arguments must be OP N pairs; '$op' (argument $i) has no N" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=${UML_ORACLE_DIR:-$(mktemp -d /tmp/uml-oracle.XXXXXX)}
mkdir -p "$work"
if [ "$reuse" != 1 ]; then
  for tool in linux.uml strace gcc; do
    command -v $tool >/dev/null || { echo "uml-live-oracle: $tool is missing" >&2; exit 2; }
  done
  gcc -O2 -static -o "$work/w" "$here/uml-live-oracle/workload.c"
  gcc -O2 -shared -fPIC -o "$work/xstate-shim.so" "$here/uml-live-oracle/xstate-shim.c" -ldl
fi
pool=$work/pool.txt
: > "$pool"
failed=0
while [ $# -ge 2 ]; do
  op=$1 n=$2; shift 2
  if [ "$reuse" = 1 ] && [ ! -f "$work/trace-$op.txt" ]; then
    echo "$op: FAILED: no trace-$op.txt in $work to reuse"
    failed=1
    continue
  fi
  # UML_ORACLE_REUSE=1 reads the traces kept in UML_ORACLE_DIR again instead of booting UML
  if [ "$reuse" != 1 ]; then
    cat > "$work/init-$op.sh" <<EOI
#!/bin/sh
echo MARK-0
$work/w $op 0 || echo MARK-FAILED
echo MARK-1
$work/w $op $n || echo MARK-FAILED
echo MARK-2
echo o > /proc/sysrq-trigger
sleep 5
EOI
    chmod +x "$work/init-$op.sh"
    # the shim goes into UML only (-E), not into strace
    timeout 600 strace -ttt -T -E LD_PRELOAD="$work/xstate-shim.so" -o "$work/trace-$op.txt" -e trace=ptrace,wait4,write \
      linux.uml mem=64M rootfstype=hostfs rootflags=/ ro init="$work/init-$op.sh" con=null con0=fd:0,fd:1 quiet \
      < /dev/null > "$work/console-$op.txt" 2>&1 || true
  fi
  # A stop for the clock tick's SIGALRM (arch/um/kernel/time.c um_timer relays the UML kernel's
  # SIGALRM to the current process) is not part of the operation: that wait4 and the calls up to
  # the resume that follows it are counted apart, as "timer"; so is a wait4 the UML kernel's own
  # SIGALRM interrupted (strace: "= ? ERESTARTSYS"; SA_RESTART makes it again).
  rc=0
  awk -v n="$n" -v op="$op" -v pool="$pool" '
    { t = $1; sub(/^[0-9.]+ /, "") }
    /MARK-FAILED/ { bad = 1 }
    # a traced call costs the time until the next traced event (its own run and the handling by strace)
    /^(ptrace|wait4|write)\(/ { if (last != "") g[s, last] += t - prev; last = ""; prev = t }
    /MARK-0/ { s = 1; t0[1] = t; next }
    /MARK-1/ { s = 2; t1[1] = t; t0[2] = t; next }
    /MARK-2/ { s = 3; t1[2] = t; next }
    s == 1 || s == 2 {
      if ($0 ~ /^--- SIGALRM/) {
        k[s]++
        if (s == 2) { if (la) { d = (t - la) * 1000; ni++; si += d; sq += d * d } la = t }
        next
      }
      if ($0 ~ /^wait4/) {
        last = "w"; cw[s]++
        if (match($0, /<[0-9.]+>$/)) bw[s] += substr($0, RSTART + 1, RLENGTH - 2)
        # a stop for SIGALRM, or a wait4 the SIGALRM interrupted (ERESTARTSYS; it is made again)
        if ($0 ~ /ERESTART/) tw[s]++
        else if ($0 ~ /SIGALRM|SIGVTALRM/) { tm = 1; tw[s]++ } else w[s]++
        next
      }
      if ($0 !~ /^ptrace/) next
      last = "p"; cp[s]++
      if (tm) tp[s]++; else p[s]++
      if ($0 ~ /^ptrace\(PTRACE_(SYSEMU|CONT|SYSCALL)/) { if (tm) tr[s]++; else r[s]++; tm = 0 } }
    END { if (s != 3) { printf "%s: FAILED: UML did not finish (see console-%s.txt)\n", op, op; exit 1 }
      if (bad) { printf "%s: FAILED: the workload exited nonzero in UML (see console-%s.txt)\n", op, op; exit 1 }
      if (!cp[2] || !cw[2] || t1[2] <= t0[2]) { printf "%s: FAILED: the N run traced no ptrace or wait4 call\n", op; exit 1 }
      # the N run'"'"'s sums, for the pooled line after the last workload
      printf "%s %d %.9f %d %.9f %.9f %d %.9f %.9f\n", op, cp[2], g[2, "p"], cw[2], g[2, "w"], bw[2], ni, si, sq >> pool
      printf "%-20s n=%-5d ptrace %.2f wait4 %.2f round-trips %.2f timer-ptrace %.2f timer-wait4 %.2f timer-resumes %.2f", op, n,
        (p[2]-p[1])/n, (w[2]-w[1])/n, (r[2]-r[1])/n, (tp[2]-tp[1])/n, (tw[2]-tw[1])/n, (tr[2]-tr[1])/n
      m = ni ? si / ni : 0
      printf " ticks %.4f ms %.4f hz %.1f tick-sd-ms %.3f us-per-ptrace %.2f us-per-wait4 %.2f us-blocked-per-wait4 %.2f\n",
        (k[2]-k[1])/n, ((t1[2]-t0[2])-(t1[1]-t0[1]))*1000/n, k[2]/(t1[2]-t0[2]), (ni > 1 ? sqrt(sq / ni - m * m) : 0),
        g[2, "p"]*1e6/cp[2], g[2, "w"]*1e6/cw[2], bw[2]*1e6/cw[2] }' \
    "$work/trace-$op.txt" > "$work/row-$op.txt" 2>&1 || rc=$?
  cat "$work/row-$op.txt"
  if [ $rc -ne 0 ]; then
    grep -q FAILED "$work/row-$op.txt" || echo "$op: FAILED: awk could not analyse trace-$op.txt (status $rc)"
    failed=1
  fi
done
# The N runs of every workload above pooled: the host's time per ptrace and wait4 call and the
# intervals between SIGALRMs, as Ticks.MEASURED takes them (a delay uniform over [0, J) has sd
# J/sqrt(6) between ticks: jitter-ms is that J)
[ -s "$pool" ] && awk '{ ops = ops (NR > 1 ? "," : "") $1; cp += $2; gp += $3; cw += $4; gw += $5; bw += $6
    ni += $7; si += $8; sq += $9 }
  END { m = ni ? si / ni : 0; sd = ni > 1 ? sqrt(sq / ni - m * m) : 0
    printf "pooled over %s: us-per-ptrace %.2f (%d calls) us-per-wait4 %.2f (%d calls) us-blocked-per-wait4 %.2f " \
      "tick-interval-ms %.2f tick-sd-ms %.2f (%d intervals) jitter-ms %.2f\n", ops, gp * 1e6 / cp, cp, gw * 1e6 / cw, cw,
      bw * 1e6 / cw, m, sd, ni, sd * sqrt(6) }' "$pool"
exit $failed
