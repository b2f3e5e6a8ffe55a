#!/bin/sh
# The live oracle of the UML cost model: boots Debian's user-mode-linux (ptrace mode, hostfs root,
# no disk image; uml-anchors.md §5) once per workload, runs the workload with 0 and N units between
# console markers and prints what the UML kernel process spent per unit: ptrace calls, wait4 calls
# and resumes (PTRACE_SYSEMU/CONT/SYSCALL = round trips). Only the kernel process is traced
# (strace -f breaks UML). Needs linux.uml, strace, gcc (static glibc) and ptrace permission.
# Usage: scripts/uml-live-oracle.sh [OP N]...   (default: every workload)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${UML_ORACLE_DIR:-$(mktemp -d /tmp/uml-oracle.XXXXXX)}
for tool in linux.uml strace gcc; do
  command -v $tool >/dev/null || { echo "uml-live-oracle: $tool is missing" >&2; exit 2; }
done
gcc -O2 -static -o "$work/w" "$here/uml-live-oracle/workload.c"
gcc -O2 -shared -fPIC -o "$work/xstate-shim.so" "$here/uml-live-oracle/xstate-shim.c" -ldl
[ $# -gt 0 ] || set -- getpid 2000 touch 1000 read-then-write 1000 mmap-munmap 1000 mmap-touch-munmap 1000 \
  mprotect 1000 fork-exit-wait 200 fork-exec-exit-wait 50 pipe-pingpong 1000
while [ $# -ge 2 ]; do
  op=$1 n=$2; shift 2
  cat > "$work/init-$op.sh" <<EOI
#!/bin/sh
echo MARK-0
$work/w $op 0
echo MARK-1
$work/w $op $n
echo MARK-2
echo o > /proc/sysrq-trigger
sleep 5
EOI
  chmod +x "$work/init-$op.sh"
  timeout 600 env LD_PRELOAD="$work/xstate-shim.so" strace -o "$work/trace-$op.txt" -e trace=ptrace,wait4,write \
    linux.uml mem=64M rootfstype=hostfs rootflags=/ ro init="$work/init-$op.sh" con=null con0=fd:0,fd:1 quiet \
    < /dev/null > "$work/console-$op.txt" 2>&1 || true
  # A stop for the host timer's SIGALRM (UML's clock tick, HZ=100) is not part of the operation:
  # that wait4 and the calls up to the resume that follows it are counted apart, as "timer".
  awk -v n="$n" -v op="$op" '/MARK-0/{s=1;next} /MARK-1/{s=2;next} /MARK-2/{s=3;next}
    s==1||s==2 {
      if ($0 ~ /^wait4/) { if ($0 ~ /SIGALRM|SIGVTALRM/) { t=1; tw[s]++ } else w[s]++; next }
      if ($0 !~ /^ptrace/) next
      if (t) tp[s]++; else p[s]++
      if ($0 ~ /^ptrace\(PTRACE_(SYSEMU|CONT|SYSCALL)/) { if (!t) r[s]++; t=0 } }
    END { if (s != 3) { printf "%s: UML did not finish (see console-%s.txt)\n", op, op; exit 1 }
      printf "%-20s n=%-5d ptrace %7.2f  wait4 %6.2f  round-trips %6.2f  (timer: %.2f ptrace, %.2f wait4)\n", op, n,
        (p[2]-p[1])/n, (w[2]-w[1])/n, (r[2]-r[1])/n, (tp[2]-tp[1])/n, (tw[2]-tw[1])/n }' \
    "$work/trace-$op.txt"
done
