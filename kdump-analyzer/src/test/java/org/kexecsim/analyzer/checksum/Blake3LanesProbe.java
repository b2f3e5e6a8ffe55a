package org.kexecsim.analyzer.checksum;

import java.util.HexFormat;

/**
 * Run in a child JVM by {@link Blake3Test}: prints the lane count and the lanes' digest of
 * {@link #input}, so a JVM with other vector sizes can be checked against the scalar code.
 */
final class Blake3LanesProbe {
  private Blake3LanesProbe() {}

  /** 2 MiB + 5 bytes of i mod 251: whole subtrees of every size from 32 chunks up, and a tail. */
  static byte[] input() {
    byte[] b = new byte[(2 << 20) + 5];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 251);
    }
    return b;
  }

  public static void main(String[] args) {
    byte[] data = input();
    Blake3.Hasher h = new Blake3.Hasher(true);
    h.update(data, 0, data.length);
    System.out.println((Blake3Lanes.AVAILABLE ? Blake3Lanes.lanes() : 0) + " " + HexFormat.of().formatHex(h.finish()));
  }
}
