#!/usr/bin/env bash
# Boots Debian's x86_64 kernel under qemu-system-x86_64 (TCG, no KVM needed) with a busybox
# initramfs and nokaslr, takes `dump-guest-memory` through the HMP monitor, and leaves in OUT:
#   vmcore.elf   the QEMU ELF dump (~280 MB; the test puts OUT under target/, which git ignores)
#   symbols.txt  "ADDRESS TYPE NAME" lines for linux_banner, _stext, _etext, init_top_pgt from the
#                guest's /proc/kallsyms (nokaslr: as linked; Debian's /boot/System.map is a stub)
#   serial.log   the guest console
# Needs: qemu-system-x86 busybox-static cpio python3 (Debian package names) and Debian's kernel,
# unpacked from linux-image-*-amd64 with dpkg -x and named by KSIM_KERNEL (see .ci/run).
# Every wait is bounded; exit 0 on success, 1 on failure with the reason on stderr.
set -euo pipefail
OUT=${1:?usage: real-qemu-dump.sh OUT_DIR}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# KSIM_KERNEL: a kernel unpacked from Debian's package (.ci/run does `dpkg -x`); else an installed one.
KERNEL=${KSIM_KERNEL:-$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)}
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] || { echo "real-qemu-dump: no kernel (set KSIM_KERNEL, or unpack linux-image-amd64)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "real-qemu-dump: qemu-system-x86_64 missing" >&2; exit 1; }
BUSYBOX=$(command -v busybox) || { echo "real-qemu-dump: busybox missing" >&2; exit 1; }

root="$OUT/initramfs"
rm -rf "$root" && mkdir -p "$root/bin" "$root/proc"
cp "$BUSYBOX" "$root/bin/busybox"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
# Debian ships no real System.map (it is in the -dbg package): take the running kernel's symbols.
/bin/busybox grep -E ' (linux_banner|_stext|_etext|init_top_pgt)$' /proc/kallsyms | /bin/busybox sed 's/^/KSIM-SYM /'
echo KSIM-READY
while true; do /bin/busybox sleep 1000; done
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 > "$OUT/initramfs.gz")
rm -f "$OUT/vmcore.elf" "$OUT/serial.log" "$OUT/monitor.sock"

qemu-system-x86_64 -accel tcg -m 256M -smp 1 -display none -no-reboot \
  -kernel "$KERNEL" -initrd "$OUT/initramfs.gz" \
  -append "console=ttyS0 nokaslr panic=-1 loglevel=3" \
  -serial "file:$OUT/serial.log" -monitor "unix:$OUT/monitor.sock,server,nowait" &
QEMU=$!
trap 'kill $QEMU 2>/dev/null || true' EXIT

for ((i = 0; i < BOOT_TIMEOUT; i++)); do
  grep -q KSIM-READY "$OUT/serial.log" 2>/dev/null && break
  kill -0 $QEMU 2>/dev/null || { echo "real-qemu-dump: qemu exited during boot" >&2; exit 1; }
  sleep 1
done
grep -q KSIM-READY "$OUT/serial.log" || { echo "real-qemu-dump: guest not up after ${BOOT_TIMEOUT}s" >&2; exit 1; }

# HMP dump-guest-memory (without -d) returns when the file is complete.
timeout 300 python3 - "$OUT/monitor.sock" "$OUT/vmcore.elf" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(300)
def until_prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(4096)
        if not chunk: break
        buf += chunk
    return buf
until_prompt()
s.sendall(("dump-guest-memory " + sys.argv[2] + "\n").encode()); until_prompt()
s.sendall(b"quit\n")
# Read until QEMU closes the monitor: closing first can drop the quit.
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
PY
for ((i = 0; i < 30; i++)); do
  kill -0 $QEMU 2>/dev/null || break
  sleep 1
done
kill $QEMU 2>/dev/null || true
wait $QEMU 2>/dev/null || true
trap - EXIT
[ -s "$OUT/vmcore.elf" ] || { echo "real-qemu-dump: no dump written" >&2; exit 1; }
sed -n 's/^KSIM-SYM //p' "$OUT/serial.log" | tr -d '\r' > "$OUT/symbols.txt"
grep -q ' linux_banner$' "$OUT/symbols.txt" || { echo "real-qemu-dump: guest printed no linux_banner address" >&2; exit 1; }
echo "real-qemu-dump: $OUT/vmcore.elf ($(stat -c %s "$OUT/vmcore.elf") bytes) from $KERNEL"
