package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;

/**
 * Run in a child JVM by {@link Blake3Test}: prints the lane count (0 without usable vectors), the
 * lanes' digest of {@link #input} and the lanes' chaining value of a subtree of it whose
 * counters cross 2^32, so a JVM with other vector sizes can be checked against the scalar code.
 */
final class Blake3LanesProbe {
  /** The subtree: 64 chunks whose counters run from 2^32 - 8, across the high counter word. */
  static final int SUBTREE_CHUNKS = 64;
  static final long SUBTREE_COUNTER = (1L << 32) - 8;

  private Blake3LanesProbe() {}

  /**
   * 2 MiB + 5 bytes of i mod 251: the hasher takes it as one subtree of 2048 chunks (through the
   * lanes: chunk groups, then parent levels) and a 5-byte last chunk, the root's right child.
   */
  static byte[] input() {
    byte[] b = new byte[(2 << 20) + 5];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  static String hex(int[] cv) {
    StringBuilder s = new StringBuilder();
    for (int w : cv) {
      s.append(String.format("%08x", w));
    }
    return s.toString();
  }

  public static void main(String[] args) {
    byte[] data = input();
    Blake3.Hasher h = new Blake3.Hasher(Blake3.Engine.LANES);
    h.update(data, 0, data.length);
    int[] cv = Blake3.subtree(MemorySegment.ofArray(data), 0, SUBTREE_CHUNKS, SUBTREE_COUNTER, Blake3.Engine.LANES);
    System.out.println((Blake3Lanes.AVAILABLE ? Blake3Lanes.lanes() : 0) + " " + HexFormat.of().formatHex(h.finish()) + " " + hex(cv));
  }
}
