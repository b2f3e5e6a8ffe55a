#!/usr/bin/env bash
# Prepares, in KSIM_CACHE (default /var/cache/kexec-sim, outside the repository), what
# scripts/real-kdump.sh boots: Debian's linux-image .debs for amd64 and 686-pae (and their -dbg
# packages, for System.map and vmlinux), unpacked, plus the i386 userland a PAE guest runs
# (busybox-static, kexec-tools and libc6 for i386). Downloads only what is missing, with apt-get
# download (dpkg must have the i386 architecture: dpkg --add-architecture i386 && apt-get update).
# Usage: real-dump-inputs.sh [KERNEL_ABI]   e.g. 6.1.0-57 (default: what linux-image-amd64 depends on)
# Exit 0 when every input is there, 1 naming the first one that could not be had.
set -euo pipefail
CACHE=${KSIM_CACHE:-/var/cache/kexec-sim}
die() { echo "real-dump-inputs: $*" >&2; exit 1; }
mkdir -p "$CACHE" && cd "$CACHE"

ABI=${1:-}
if [ -z "$ABI" ]; then
  # Reuse a kernel already unpacked here (the dumps' cache key names it); else ask apt.
  ABI=$(ls k64/boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 | sed 's|.*/vmlinuz-||; s|-amd64$||' || true)
fi
if [ -z "$ABI" ]; then
  ABI=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' | sed 's/^linux-image-//; s/-amd64$//')
fi
[ -n "$ABI" ] || die "cannot tell which kernel to use (apt-cache depends linux-image-amd64 found none)"

download() { # PACKAGE[:ARCH] GLOB: apt-get download unless a file matching GLOB is here
  ls $2 >/dev/null 2>&1 && return 0
  apt-get download -qq "$1" >/dev/null 2>&1 || die "apt-get download $1 failed"
}
download "linux-image-$ABI-amd64" "linux-image-$ABI-amd64_*.deb"
download "linux-image-$ABI-amd64-dbg" "linux-image-$ABI-amd64-dbg_*.deb"
download "linux-image-$ABI-686-pae:i386" "linux-image-$ABI-686-pae_*_i386.deb"
download "linux-image-$ABI-686-pae-dbg:i386" "linux-image-$ABI-686-pae-dbg_*_i386.deb"

[ -e "k64/boot/vmlinuz-$ABI-amd64" ] || dpkg -x linux-image-"$ABI"-amd64_*.deb k64
[ -e "k32/boot/vmlinuz-$ABI-686-pae" ] || dpkg -x linux-image-"$ABI"-686-pae_*_i386.deb k32
# From each -dbg package only System.map and vmlinux (the rest is module debug info).
for f in amd64:linux-image-"$ABI"-amd64-dbg_*.deb 686-pae:linux-image-"$ABI"-686-pae-dbg_*_i386.deb; do
  flavour=${f%%:*}
  want=()
  for n in System.map vmlinux; do
    [ -e "usr/lib/debug/boot/$n-$ABI-$flavour" ] || want+=("./usr/lib/debug/boot/$n-$ABI-$flavour")
  done
  [ ${#want[@]} = 0 ] || dpkg-deb --fsys-tarfile ${f#*:} | tar -x "${want[@]}" || die "cannot extract ${want[*]} from ${f#*:}"
done

# The PAE guest's userland: i386 busybox (static), kexec and the libc it links.
if [ ! -x i386/sbin/kexec ] || [ ! -x i386/bin/busybox ]; then
  dpkg --print-foreign-architectures | grep -qx i386 || die "dpkg lacks the i386 architecture (dpkg --add-architecture i386 && apt-get update)"
  rm -rf i386-debs && mkdir -p i386-debs
  (cd i386-debs && apt-get download -qq busybox-static:i386 kexec-tools:i386 libc6:i386 >/dev/null 2>&1) \
    || die "apt-get download busybox-static:i386 kexec-tools:i386 libc6:i386 failed"
  rm -rf i386.tmp && for d in i386-debs/*.deb; do dpkg -x "$d" i386.tmp; done
  [ -x i386.tmp/sbin/kexec ] || die "kexec-tools:i386 has no sbin/kexec"
  rm -rf i386 && mv i386.tmp i386 && rm -rf i386-debs
fi
# Debian's i386 makedumpfile, the only build that reads i386/PAE vmcores (the amd64 one refuses
# them), unpacked, not installed: it runs with libc6 libdw1 libelf1 liblzo2-2 zlib1g for i386
# installed (.ci/run installs them). Missing it only makes the PAE conversions skip.
if [ ! -x makedumpfile-i386/usr/bin/makedumpfile ]; then
  if dpkg --print-foreign-architectures | grep -qx i386 \
      && rm -rf mdf-i386-debs && mkdir -p mdf-i386-debs \
      && (cd mdf-i386-debs && apt-get download -qq makedumpfile:i386 >/dev/null 2>&1); then
    rm -rf makedumpfile-i386.tmp && dpkg -x mdf-i386-debs/makedumpfile_*_i386.deb makedumpfile-i386.tmp \
      && rm -rf makedumpfile-i386 && mv makedumpfile-i386.tmp makedumpfile-i386
    rm -rf mdf-i386-debs
  else
    echo "real-dump-inputs: could not download makedumpfile:i386; PAE makedumpfile conversions will be skipped" >&2
  fi
fi
echo "real-dump-inputs: $CACHE has Debian $ABI amd64 and 686-pae, their System.map and vmlinux, the i386 userland and makedumpfile"
