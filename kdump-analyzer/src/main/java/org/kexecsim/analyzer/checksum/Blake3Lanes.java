package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;

/**
 * BLAKE3 chunks sixteen at a time, one per lane of a 512-bit vector (paper §5.3), through the
 * incubating Vector API. The module is resolved only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the launcher adds it for blake3 runs); without it
 * {@link Blake3} hashes chunk by chunk.
 */
final class Blake3Lanes {
  static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && !Boolean.getBoolean("kexecsim.blake3.scalar");

  private Blake3Lanes() {}

  /** Hashes as many leading groups of sixteen of the {@code n} chunks as there are; returns how many chunks it did. */
  static int chunkCvs(MemorySegment src, long offset, int n, long counter, int[] cvs) {
    return Blake3Vector.chunkCvs(src, offset, n, counter, cvs);
  }
}
