#!/usr/bin/env bash
# The real dumps of one architecture, generated once and then reused: prints (as the last line
# on stdout) the directory holding what scripts/real-kdump.sh leaves (and, for x86_64 without
# KASLR, and for PAE with Debian's i386 makedumpfile, the makedumpfile conversions of its vmcore
# in mdf/, see makedumpfile-variants.sh).
# Usage: real-dumps.sh x86_64|pae [FALLBACK_DIR]
# Cache: KSIM_DUMP_CACHE (default /var/cache/kexec-sim/dumps)/<kernel>-<hash of these scripts>/<arch>,
# so changing a script regenerates; FALLBACK_DIR is used when the cache cannot be written.
# Concurrent callers (parallel builds) wait on a lock, bounded, rather than boot twice.
# KSIM_KASLR=1 makes a separate KASLR variant. Exit 0 with the path, 1 with the reason on stderr.
set -euo pipefail
ARCH=${1:?usage: real-dumps.sh x86_64|pae [FALLBACK_DIR]}
FALLBACK=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KSIM_CACHE:-/var/cache/kexec-sim}
die() { echo "real-dumps: $*" >&2; exit 1; }
case "$ARCH" in x86_64) flavour=amd64; k=k64 ;; pae) flavour=686-pae; k=k32 ;; *) die "unknown arch '$ARCH'" ;; esac

kernel=$(ls "$CACHE/$k"/boot/vmlinuz-*-"$flavour" 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$kernel" ] || { [ "$ARCH" = pae ] && [ ! -x "$CACHE/i386/sbin/kexec" ]; }; then
  # No inputs yet: fetch them when this user can (root with apt), else say what is missing.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    "$HERE/real-dump-inputs.sh" >&2 || die "could not prepare the inputs (scripts/real-dump-inputs.sh)"
    kernel=$(ls "$CACHE/$k"/boot/vmlinuz-*-"$flavour" 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$kernel" ] || die "no Debian $flavour kernel in $CACHE/$k (run scripts/real-dump-inputs.sh as root)"
fi
kver=${kernel##*/vmlinuz-}
hash=$(cat "$HERE/real-kdump.sh" "$HERE/qemu-crash-drive.py" "$HERE/makedumpfile-variants.sh" | sha256sum | cut -c1-12)
variant=$ARCH
[ "${KSIM_KASLR:-0}" = 1 ] && variant=$ARCH-kaslr

base=${KSIM_DUMP_CACHE:-$CACHE/dumps}
if ! mkdir -p "$base" 2>/dev/null || [ ! -w "$base" ]; then
  [ -n "$FALLBACK" ] || die "cannot write $base and no FALLBACK_DIR given"
  base=$FALLBACK
  mkdir -p "$base"
fi
dir=$base/${kver%-"$flavour"}-$hash/$variant
if [ ! -e "$dir/COMPLETE" ]; then
  mkdir -p "$(dirname "$dir")"
  exec 9> "$dir.lock"
  flock -w 900 9 || die "another generation of $dir held the lock for 900 s"
  if [ ! -e "$dir/COMPLETE" ]; then
    tmp=$dir.tmp.$$
    rm -rf "$tmp" "$dir"
    start=$SECONDS
    "$HERE/real-kdump.sh" "$ARCH" "$tmp" >&2 || { rm -rf "$tmp"; die "real-kdump.sh $ARCH failed"; }
    if [ "$variant" = x86_64 ]; then
      "$HERE/makedumpfile-variants.sh" "$tmp/vmcore" "$tmp/mdf" >&2 || { rm -rf "$tmp"; die "makedumpfile-variants.sh failed"; }
    elif [ "$variant" = pae ]; then
      # Only Debian's i386 makedumpfile reads an i386 vmcore (real-dump-inputs.sh extracts it);
      # without it (or the i386 libraries it links) the PAE set has no mdf/ and those tests skip.
      mdf32=${KSIM_MAKEDUMPFILE_I386:-$CACHE/makedumpfile-i386/usr/bin/makedumpfile}
      if "$mdf32" -v >/dev/null 2>&1; then
        MAKEDUMPFILE=$mdf32 "$HERE/makedumpfile-variants.sh" "$tmp/vmcore" "$tmp/mdf" >&2 || { rm -rf "$tmp"; die "makedumpfile-variants.sh (i386) failed"; }
      else
        echo "real-dumps: no runnable i386 makedumpfile at $mdf32: the PAE set has no makedumpfile conversions" >&2
      fi
    fi
    echo "generated in $((SECONDS - start)) s by $HERE" > "$tmp/COMPLETE"
    mv "$tmp" "$dir"
  fi
fi
echo "$dir"
