package org.kexecsim.analyzer.checksum;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * BLAKE3 subtrees hashed by the BLAKE3 team's C implementation (the {@code c/} directory of the
 * reference repository, as Debian's librust-blake3-dev ships it), built into a shared library by
 * {@code scripts/build-blake3.sh} and called through java.lang.foreign. Its
 * {@code blake3_hash_many} (blake3_impl.h) hashes many whole chunks (or parent nodes) in one
 * call, as many per instruction as the CPU has lanes (AVX-512: sixteen; blake3_dispatch.c picks
 * by CPUID): the same code {@code b3sum} runs. The tree above the chunks is built here with it,
 * level by level; the root stays with {@link Blake3.Hasher}.
 *
 * <p>Never reads a file mapping itself: each subtree is copied by {@link MemorySegment#copy} in
 * 256 KiB blocks into a buffer per thread that stays in L2, and hashed from there. A native load
 * from a mapped page the file lost meanwhile raises SIGBUS, which kills the JVM; the copy turns it
 * into the InternalError that MappedFiles reports (ChangingFileTest). Measured with a C harness on
 * 3 GiB in the page cache, 2 threads: 0.33-0.35 s straight from the mapping, 0.39-0.40 s copying
 * 64 or 256 KiB blocks, 0.44 s copying 4 MiB ones; in the CLI 256 KiB blocks took slightly less
 * CPU time than 64 KiB ones (fewer calls while they are still interpreted).
 *
 * <p>Absent library (no gcc or sources when it would be built), a library that does not load, or
 * {@code -Dkexecsim.blake3.native=false}: {@link #AVAILABLE} is false and {@link Blake3} uses its
 * Java paths, with the same digests.
 */
final class Blake3Native {
  /** Chunks copied and hashed at once: 256 KiB, small enough to stay in L2 between copy and hash. */
  static final int BLOCK_CHUNKS = 256;
  private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final MethodHandle HASH_MANY;
  /** Which library was loaded, or why none is used. */
  static final String STATUS;
  static final boolean AVAILABLE;

  static {
    MethodHandle h = null;
    String status;
    Path lib = libraryPath();
    if (!Boolean.parseBoolean(System.getProperty("kexecsim.blake3.native", "true"))) {
      status = "disabled by -Dkexecsim.blake3.native=false";
    } else if (!Files.isRegularFile(lib)) {
      status = "no " + lib + " (scripts/build-blake3.sh builds it)";
    } else {
      try {
        SymbolLookup symbols = SymbolLookup.libraryLookup(lib, Arena.global());
        // one downcall handle only (each costs startup time); scripts/build-blake3.sh builds only
        // BLAKE3 1.x, whose blake3_hash_many has this signature (blake3_impl.h)
        h = Linker.nativeLinker().downcallHandle(symbols.findOrThrow("blake3_hash_many"), FunctionDescriptor.ofVoid(
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_BOOLEAN, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE, ValueLayout.ADDRESS));
        status = "loaded " + lib;
      } catch (RuntimeException | LinkageError e) {
        // not a library (IllegalArgumentException), no such symbol (NoSuchElementException),
        // native access denied (IllegalCallerException): the Java paths then
        status = lib + " does not load: " + e;
      }
    }
    HASH_MANY = h;
    STATUS = status;
    AVAILABLE = h != null;
  }

  private Blake3Native() {}

  /**
   * Where scripts/build-blake3.sh puts the library: {@code $KSIM_CACHE/blake3/ARCH/libblake3.so},
   * the cache defaulting to {@code ${XDG_CACHE_HOME:-~/.cache}/kexec-sim} and ARCH being
   * {@code uname -m} (see {@link #machine}); or {@code -Dkexecsim.blake3.library=PATH}.
   */
  static Path libraryPath() {
    String explicit = System.getProperty("kexecsim.blake3.library");
    if (explicit != null && !explicit.isEmpty()) {
      return Path.of(explicit);
    }
    String cache = System.getenv("KSIM_CACHE");
    Path base;
    if (cache != null && !cache.isEmpty()) {
      base = Path.of(cache);
    } else {
      String xdg = System.getenv("XDG_CACHE_HOME");
      // $HOME as the script sees it; the JVM's user.home comes from the password file instead
      String home = System.getenv("HOME");
      Path homeDir = Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"));
      base = (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : homeDir.resolve(".cache")).resolve("kexec-sim");
    }
    // absolute, as the script prints it (a relative KSIM_CACHE is taken from the working directory)
    return base.toAbsolutePath().resolve("blake3").resolve(machine(System.getProperty("os.arch"))).resolve("libblake3.so");
  }

  /**
   * The {@code uname -m} name of the JVM's {@code os.arch}, for the two architectures the script
   * builds assembly or NEON for: the JDK calls x86-64 {@code amd64} and arm64 {@code aarch64}
   * (as the kernel does). Others keep the JDK's name, which may differ from the kernel's (32-bit
   * x86: {@code x86} against {@code i686}); the Java paths then serve them.
   */
  static String machine(String osArch) {
    return switch (osArch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64" -> "aarch64";
      default -> osArch;
    };
  }

  /** Per thread: the copy buffer, two levels of chaining values, and the pointer arrays into them. */
  private static final class Scratch {
    final MemorySegment key;
    final MemorySegment stage;
    final MemorySegment stageInputs;
    /** Chunk chaining values of a whole subtree, then every other parent level. */
    final MemorySegment cvs;
    final MemorySegment cvPairs;
    /** The parent levels in between. */
    final MemorySegment half;
    final MemorySegment halfPairs;

    Scratch() {
      Arena arena = Arena.ofAuto();
      int max = Blake3.MAX_SUBTREE_CHUNKS;
      key = arena.allocate(32, 8);
      for (int i = 0; i < 8; i++) {
        key.setAtIndex(ValueLayout.JAVA_INT, i, Blake3.IV[i]);
      }
      stage = arena.allocate((long) BLOCK_CHUNKS * Blake3.CHUNK, 64);
      stageInputs = pointers(arena, stage, BLOCK_CHUNKS, Blake3.CHUNK);
      cvs = arena.allocate(32L * max, 64);
      cvPairs = pointers(arena, cvs, max / 2, 64);
      half = arena.allocate(32L * max / 2, 64);
      halfPairs = pointers(arena, half, max / 4, 64);
    }

    private static MemorySegment pointers(Arena arena, MemorySegment base, int n, long stride) {
      MemorySegment p = arena.allocate(ValueLayout.ADDRESS, n);
      for (int i = 0; i < n; i++) {
        p.setAtIndex(ValueLayout.ADDRESS, i, base.asSlice(i * stride));
      }
      return p;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * The chaining value of the complete subtree of {@code chunks} (a power of two up to
   * {@link Blake3#MAX_SUBTREE_CHUNKS}, checked by the caller) full chunks at {@code offset} of
   * {@code src}, the first with counter {@code counter}; never the root. Only when {@link #AVAILABLE}.
   */
  static int[] subtree(MemorySegment src, long offset, int chunks, long counter) {
    Scratch s = SCRATCH.get();
    for (int done = 0; done < chunks; done += BLOCK_CHUNKS) {
      int n = Math.min(BLOCK_CHUNKS, chunks - done);
      MemorySegment.copy(src, offset + (long) done * Blake3.CHUNK, s.stage, 0, (long) n * Blake3.CHUNK);
      hashMany(s.stageInputs, n, Blake3.CHUNK / Blake3.BLOCK, s.key, counter + done, true, 0, Blake3.CHUNK_START,
          Blake3.CHUNK_END, s.cvs.asSlice(32L * done));
    }
    // parent levels (paper §2.1: each parent's block is its children's chaining values side by
    // side, counter 0), alternating between the two buffers; the last is the subtree's own
    MemorySegment level = s.cvs;
    for (int n = chunks; n > 1; n /= 2) {
      boolean fromCvs = level == s.cvs;
      MemorySegment next = fromCvs ? s.half : s.cvs;
      hashMany(fromCvs ? s.cvPairs : s.halfPairs, n / 2, 1, s.key, 0, false, Blake3.PARENT, 0, 0, next);
      level = next;
    }
    int[] cv = new int[8];
    MemorySegment.copy(level, LE_INT, 0, cv, 0, 8);
    return cv;
  }

  private static void hashMany(MemorySegment inputs, long n, long blocks, MemorySegment key, long counter, boolean increment,
      int flags, int flagsStart, int flagsEnd, MemorySegment out) {
    try {
      HASH_MANY.invokeExact(inputs, n, blocks, key, counter, increment, (byte) flags, (byte) flagsStart, (byte) flagsEnd, out);
    } catch (RuntimeException | Error e) {
      // as they are: the InternalError of a mapped page the file lost (MappedFiles reports it)
      throw e;
    } catch (Throwable e) {
      // invokeExact declares Throwable; a downcall throws nothing checked
      throw new IllegalStateException("blake3_hash_many failed", e);
    }
  }
}
