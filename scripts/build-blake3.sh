#!/usr/bin/env sh
# Builds the BLAKE3 team's C implementation (Debian's librust-blake3-dev ships it under
# /usr/share/cargo/registry/blake3-*/c) into a shared library that `checksum --algo blake3` calls
# through java.lang.foreign (Blake3Native), and prints its path. Built once into the cache, never
# into the repository, one per machine architecture (a cache shared by an x86-64 and an arm64
# host keeps both); rebuilt when the sources are newer, or when the stamp next to the library
# (sources' directory and BLAKE3 version) names others. Without gcc or the sources it says so
# and exits 1: BLAKE3 then runs in Java (the Vector API lanes, or chunk by chunk), same digests.
#
#   scripts/build-blake3.sh [--path]
#     --path   only print where the library goes (Blake3Native looks in the same place)
#   KSIM_CACHE       the cache (default ${XDG_CACHE_HOME:-~/.cache}/kexec-sim); the library is
#                    $KSIM_CACHE/blake3/$(uname -m)/libblake3.so
#   KSIM_BLAKE3_SRC  the C sources' directory (default: the newest blake3-*/c Debian ships)
# Every failure is exit 1 with one line on stderr: the Maven build runs this and goes on (the
# pom accepts 0 and 1), and the launcher then adds the Vector API for the Java path.
fail() { echo "build-blake3: $*" >&2; exit 1; }
if [ -n "${KSIM_CACHE:-}" ]; then cache=$KSIM_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ]; then cache=$XDG_CACHE_HOME/kexec-sim
elif [ -n "${HOME:-}" ]; then cache=$HOME/.cache/kexec-sim
else fail "no KSIM_CACHE, XDG_CACHE_HOME or HOME to put the library in"
fi
# absolute, as the JVM resolves it: gcc runs in the sources' directory below
case $cache in
  /*) ;;
  *) cache=$(pwd)/$cache ;;
esac
arch=$(uname -m)
dir=$cache/blake3/$arch
lib=$dir/libblake3.so
stamp=$dir/libblake3.stamp
if [ "${1:-}" = --path ]; then echo "$lib"; exit 0; fi
src=${KSIM_BLAKE3_SRC:-$(ls -d /usr/share/cargo/registry/blake3-*/c 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$src" ] || [ ! -f "$src/blake3.c" ]; then
  fail "no BLAKE3 C sources (apt-get install librust-blake3-dev, or set KSIM_BLAKE3_SRC)"
fi
# Blake3Native calls blake3_hash_many, an internal function whose signature (blake3_impl.h) is
# the same in every 1.x release; other versions are not built
version=$(sed -n 's/^#define BLAKE3_VERSION_STRING "\(.*\)"/\1/p' "$src/blake3.h")
case "$version" in
  1.*) ;;
  *) fail "$src is BLAKE3 '$version', not 1.x" ;;
esac
want="source $src
version $version"
if [ -f "$lib" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ -z "$(find "$src" -newer "$lib" -print | head -n 1)" ]; then
  echo "$lib"
  exit 0
fi
command -v gcc >/dev/null || fail "gcc is missing"
# The upstream build (c/README.md "Building"): the portable code, the runtime dispatcher, and on
# x86-64 the hand-written assembly for each instruction set, which blake3_dispatch.c picks by CPUID.
case $arch in
  x86_64) files="blake3.c blake3_dispatch.c blake3_portable.c blake3_sse2_x86-64_unix.S blake3_sse41_x86-64_unix.S
    blake3_avx2_x86-64_unix.S blake3_avx512_x86-64_unix.S" defs="" ;;
  aarch64) files="blake3.c blake3_dispatch.c blake3_portable.c blake3_neon.c" defs="-DBLAKE3_USE_NEON=1" ;;
  *) files="blake3.c blake3_dispatch.c blake3_portable.c"
    defs="-DBLAKE3_NO_SSE2 -DBLAKE3_NO_SSE41 -DBLAKE3_NO_AVX2 -DBLAKE3_NO_AVX512" ;;
esac
mkdir -p "$dir" || fail "cannot create $dir"
tmp=$(mktemp "$dir/.libblake3.XXXXXX") || fail "cannot write in $dir"
tmpstamp=$(mktemp "$dir/.libblake3-stamp.XXXXXX") || fail "cannot write in $dir"
trap 'rm -f "$tmp" "$tmpstamp"' EXIT
# shellcheck disable=SC2086 # the lists split on purpose
(cd "$src" && gcc -O3 -shared -fPIC $defs -o "$tmp" $files) || fail "gcc failed on $src"
chmod 644 "$tmp"
# a rename, so a JVM loading the library concurrently sees the old file or the new, never half
mv -f "$tmp" "$lib" || fail "cannot write $lib"
printf '%s\n' "$want" >"$tmpstamp" && chmod 644 "$tmpstamp" && mv -f "$tmpstamp" "$stamp" || fail "cannot write $stamp"
echo "$lib"
