package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;

/**
 * The gate to {@link Blake3Vector}: BLAKE3 chunks one per SIMD lane (paper §5.3) through the
 * incubating Vector API. The module is resolved only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the launcher, surefire and the benchmarks add it);
 * without it, or on a CPU with vectors narrower than 256 bits, or with
 * {@code -Dkexecsim.blake3.scalar=true}, {@link Blake3} hashes chunk by chunk. This class never
 * names a Vector API type, so it loads without the module.
 */
final class Blake3Lanes {
  static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !Boolean.getBoolean("kexecsim.blake3.scalar") && Blake3Vector.useful();

  private Blake3Lanes() {}

  /** Chunks (or parents) per vector; only when {@link #AVAILABLE}. */
  static int lanes() {
    return Blake3Vector.L;
  }

  /** {@link Blake3#subtree} for at least {@code 2 * lanes()} chunks, chunks and parents {@link #lanes} at a time. */
  static int[] subtree(MemorySegment src, long offset, int chunks, long counter) {
    return Blake3Vector.subtree(src, offset, chunks, counter);
  }
}
