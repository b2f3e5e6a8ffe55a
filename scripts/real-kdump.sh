#!/usr/bin/env bash
# Real dumps of a real Debian kernel that really panicked into a kdump capture kernel, under QEMU
# (TCG, no KVM needed). Usage: real-kdump.sh x86_64|pae OUT_DIR
#
# Boots Debian's kernel (amd64 under qemu-system-x86_64, or 686-pae under qemu-system-i386) with
# 1 GiB RAM, 2 CPUs, crashkernel=192M, nokaslr (KSIM_KASLR=1 leaves KASLR on) and a busybox
# initramfs whose init loads the same kernel and a small initramfs as the capture kernel with
# Debian's own `kexec -p` (kexec_load). The host then stops the guest, records `info registers -a`
# and takes `dump-guest-memory` (ELF, and -z) of that state, resumes it, and has the guest
# panic (echo c > /proc/sysrq-trigger). The capture kernel's init loads virtio from the kernel's
# modules and copies /proc/vmcore raw onto a virtio disk, printing its length; the host cuts it out.
# Leaves in OUT_DIR:
#   vmcore         the capture kernel's /proc/vmcore (ELF64 on x86_64; what the kernel writes on i386)
#   qemu.elf       QEMU's ELF dump of the running kernel just before the panic
#   qemu-z.flat    QEMU's dump-guest-memory -z (kdump-compressed, zlib) of the same state, in the
#                  flattened format QEMU 7.2 always writes for -z/-l/-s (dump.c write_start_flat_header)
#   qemu-z.kdump   the same reassembled by `makedumpfile -R` (when makedumpfile is installed)
#   System.map     the kernel's System.map from Debian's -dbg package (link addresses)
#   symbols.txt    "ADDRESS TYPE NAME" from the guest's /proc/kallsyms for the symbols tests use
#   registers.txt  `info registers -a` of the stopped guest (CR3 of each CPU as QEMU saw it)
#   serial.log     both kernels' console; qemu.log QEMU's own messages
# Inputs (prepared by scripts/real-dump-inputs.sh, which .ci/run calls), under KSIM_CACHE
# (default /var/cache/kexec-sim): k64/ or k32/ (the kernel package unpacked), usr/lib/debug/boot/
# System.map-*, and for pae i386/ (busybox-static, kexec-tools and libc6 for i386 unpacked).
# Host tools: qemu-system-x86, cpio, python3, util-linux; for x86_64 busybox-static, kexec-tools, binutils.
# Every wait is bounded and QEMU never outlives the script. Exit 0 on success, 1 with the reason.
set -euo pipefail
ARCH=${1:?usage: real-kdump.sh x86_64|pae OUT_DIR}
OUT=${2:?usage: real-kdump.sh x86_64|pae OUT_DIR}
CACHE=${KSIM_CACHE:-/var/cache/kexec-sim}
HERE=$(cd "$(dirname "$0")" && pwd)
die() { echo "real-kdump: $*" >&2; exit 1; }

case "$ARCH" in
  x86_64) KROOT=$CACHE/k64; FLAVOUR=amd64; QEMU=qemu-system-x86_64; CPU=""; URoot=/ ;;
  pae)    KROOT=$CACHE/k32; FLAVOUR=686-pae; QEMU=qemu-system-i386; CPU=""; URoot=$CACHE/i386 ;;
  *) die "unknown arch '$ARCH' (x86_64 or pae)" ;;
esac
KERNEL=$(ls "$KROOT"/boot/vmlinuz-*-"$FLAVOUR" 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$KERNEL" ] || die "no Debian $FLAVOUR kernel unpacked in $KROOT (run scripts/real-dump-inputs.sh)"
KVER=${KERNEL##*/vmlinuz-}
MODS=$KROOT/lib/modules/$KVER/kernel
SYSMAP=$CACHE/usr/lib/debug/boot/System.map-$KVER
command -v "$QEMU" >/dev/null || die "$QEMU missing (Debian package qemu-system-x86)"
command -v cpio >/dev/null || die "cpio missing"
command -v python3 >/dev/null || die "python3 missing"
if [ "$ARCH" = x86_64 ]; then
  BUSYBOX=$(command -v busybox) || die "busybox missing (busybox-static)"
  # The initramfs carries no libraries for it: Debian's dynamic busybox would not start there.
  ! readelf -lW "$BUSYBOX" 2>/dev/null | grep -q 'INTERP' || die "$BUSYBOX is not static (install busybox-static)"
  KEXEC=$(command -v kexec || echo /usr/sbin/kexec)
else
  BUSYBOX=$URoot/bin/busybox
  KEXEC=$URoot/sbin/kexec
fi
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (run scripts/real-dump-inputs.sh)"
[ -x "$KEXEC" ] || die "no kexec at $KEXEC (kexec-tools; run scripts/real-dump-inputs.sh)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
work=$OUT/build
rm -rf "$work" "$OUT"/{vmcore,qemu.elf,qemu-z.flat,qemu-z.kdump,disk.img,vmcore.size,serial.log,registers.txt,symbols.txt}
mkdir -p "$work/capture"/{bin,proc,sys,dev,modules}

# The capture kernel's initramfs: busybox, the virtio modules, the init below.
cap=$work/capture
cp "$BUSYBOX" "$cap/bin/busybox"
ln -s busybox "$cap/bin/sh"
for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk; do
  f=$MODS/drivers/$m.ko
  [ -r "$f" ] || f=$(ls "$f".* 2>/dev/null | head -n 1 || true)
  [ -n "$f" ] && [ -r "$f" ] || die "no module $m in $MODS"
  case "$f" in
    *.ko) cp "$f" "$cap/modules/" ;;
    *.ko.xz) xz -dc "$f" > "$cap/modules/$(basename "${f%.xz}")" ;;
    *) die "cannot unpack $f" ;;
  esac
done
cat > "$cap/init" <<'INIT'
#!/bin/sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
if [ -e /proc/vmcore ]; then
  # The capture kernel: copy the crashed kernel's memory out raw, with its length.
  echo KSIM-CAPTURE
  for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
    $B insmod /modules/$m.ko || { echo "KSIM-FAIL insmod $m"; exit 1; }
  done
  i=0
  while [ ! -b /dev/vda ] && [ $i -lt 300 ]; do $B usleep 100000; i=$((i + 1)); done
  [ -b /dev/vda ] || { echo "KSIM-FAIL no /dev/vda"; exit 1; }
  echo "KSIM-VMCORE-SIZE $($B stat -c %s /proc/vmcore)"
  $B dd if=/proc/vmcore of=/dev/vda bs=1M 2>/dev/null || { echo "KSIM-FAIL copying /proc/vmcore"; exit 1; }
  $B sync
  echo KSIM-VMCORE-DONE
else
  # The first kernel: report the symbols tests need, load the capture kernel, await the host.
  $B grep -E ' (linux_banner|_text|_stext|_etext|init_top_pgt|swapper_pg_dir|initial_page_table|init_uts_ns|phys_base)$' /proc/kallsyms | $B sed 's/^/KSIM-SYM /'
  /sbin/kexec -p /boot/vmlinuz --initrd=/boot/capture.gz --append="$($B cat /boot/capture-append)" \
    || { echo "KSIM-FAIL kexec -p"; exit 1; }
  [ "$($B cat /sys/kernel/kexec_crash_loaded)" = 1 ] || { echo "KSIM-FAIL kexec_crash_loaded is not 1"; exit 1; }
  echo KSIM-READY
  read -r line
  echo c > /proc/sysrq-trigger
fi
while true; do $B sleep 1000; done
INIT
chmod +x "$cap/init"
(cd "$cap" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/capture.gz")

# The first kernel's initramfs: the same, plus kexec and its libraries, the kernel and capture.gz.
main=$work/main
cp -a "$cap" "$main"
mkdir -p "$main/sbin" "$main/boot"
cp "$KEXEC" "$main/sbin/kexec"
if [ "$ARCH" = x86_64 ]; then
  for lib in $(ldd "$KEXEC" | grep -o '/[^ ]*'); do
    mkdir -p "$main$(dirname "$lib")" && cp -L "$lib" "$main$lib"
  done
else
  # An i386 binary: its interpreter and libc from the unpacked i386 packages (ldd cannot run it).
  (cd "$URoot" && find . -path ./bin -prune -o -path ./sbin -prune -o \( -name 'ld-linux.so.2' -o -name 'libc.so.6' \) -print) |
    while read -r lib; do mkdir -p "$main/$(dirname "$lib")" && cp -L "$URoot/$lib" "$main/$lib"; done
  [ -e "$main/lib/ld-linux.so.2" ] || { mkdir -p "$main/lib"; ln -s "$(cd "$main" && find . -name ld-linux.so.2 | head -n 1 | cut -c2-)" "$main/lib/ld-linux.so.2"; }
fi
cp "$KERNEL" "$main/boot/vmlinuz"
cp "$work/capture.gz" "$main/boot/capture.gz"
KASLR_ARG=nokaslr
[ "${KSIM_KASLR:-0}" = 1 ] && KASLR_ARG=""
# The capture kernel's command line, as Debian's kdump-tools passes it (one CPU, irqpoll, reset_devices).
echo "console=ttyS0 $KASLR_ARG irqpoll nr_cpus=1 reset_devices panic=-1 loglevel=3" > "$main/boot/capture-append"
(cd "$main" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/main.gz")

# A sparse disk the capture kernel writes /proc/vmcore onto (larger than the guest's RAM).
truncate -s 2G "$OUT/disk.img"
python3 "$HERE/qemu-crash-drive.py" --qemu "$QEMU" ${CPU:+--cpu "$CPU"} --mem 1G --smp 2 \
  --kernel "$KERNEL" --initrd "$work/main.gz" \
  --append "console=ttyS0 $KASLR_ARG crashkernel=192M panic=-1 loglevel=3" \
  --disk "$OUT/disk.img" --out "$OUT" --elf "$OUT/qemu.elf" --zdump "$OUT/qemu-z.flat" \
  || die "the guest did not produce a vmcore"

size=$(cat "$OUT/vmcore.size")
[ "$size" -gt 4096 ] || die "capture kernel reported /proc/vmcore of $size bytes"
truncate -s "$size" "$OUT/disk.img"
mv "$OUT/disk.img" "$OUT/vmcore"
# Zero runs cost no disk (the copy wrote every byte); QEMU writes its dumps owner-only.
for f in "$OUT/vmcore" "$OUT/qemu.elf"; do fallocate --dig-holes "$f" 2>/dev/null || true; done
chmod a+r "$OUT"/qemu*
if command -v makedumpfile >/dev/null; then
  timeout 120 makedumpfile -R "$OUT/qemu-z.kdump" < "$OUT/qemu-z.flat" > "$OUT/reassemble.log" 2>&1 \
    || { cat "$OUT/reassemble.log" >&2; die "makedumpfile -R could not reassemble QEMU's -z dump"; }
  rm -f "$OUT/reassemble.log"
  chmod a+r "$OUT/qemu-z.kdump"
fi
[ "$(head -c 4 "$OUT/vmcore" | od -An -c | tr -d ' ')" = '177ELF' ] || die "the copied vmcore does not start with an ELF header"
sed -n 's/^KSIM-SYM //p' "$OUT/serial.log" | tr -d '\r' > "$OUT/symbols.txt"
if [ -r "$SYSMAP" ]; then cp "$SYSMAP" "$OUT/System.map"; else echo "real-kdump: no $SYSMAP (the -dbg package); symbols.txt only" >&2; fi
# 686-pae is built without CONFIG_KALLSYMS_ALL, so its kallsyms lacks data symbols: with nokaslr
# the kernel runs at its link addresses, so System.map supplies them (marked by the file they came from).
if ! grep -q ' linux_banner$' "$OUT/symbols.txt" && [ -z "$KASLR_ARG" ]; then
  die "guest printed no linux_banner address and KASLR is on"
elif ! grep -q ' linux_banner$' "$OUT/symbols.txt"; then
  [ -r "$OUT/System.map" ] || die "guest printed no linux_banner address and there is no System.map"
  grep -E ' (linux_banner|init_top_pgt|swapper_pg_dir|initial_page_table|init_uts_ns|phys_base)$' "$OUT/System.map" >> "$OUT/symbols.txt"
fi
grep -q ' linux_banner$' "$OUT/symbols.txt" || die "no linux_banner address from the guest or System.map"
echo "$KVER" > "$OUT/kernel-version"
rm -rf "$work" "$OUT/serial.sock" "$OUT/monitor.sock"
echo "real-kdump: $ARCH $KVER: vmcore $(stat -c %s "$OUT/vmcore") bytes, qemu.elf $(stat -c %s "$OUT/qemu.elf") bytes in $OUT"
