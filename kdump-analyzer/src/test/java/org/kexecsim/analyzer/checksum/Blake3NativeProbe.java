package org.kexecsim.analyzer.checksum;

import java.util.HexFormat;

/**
 * Run in a child JVM by {@link Blake3Test} with {@code -Dkexecsim.blake3.library} naming a file
 * that is not a library: prints whether the C library is used, why not, and the digest of
 * {@link Blake3LanesProbe#input} by {@link Blake3.Hasher}'s default engine.
 */
final class Blake3NativeProbe {
  private Blake3NativeProbe() {}

  public static void main(String[] args) {
    byte[] data = Blake3LanesProbe.input();
    Blake3.Hasher h = new Blake3.Hasher();
    h.update(data, 0, data.length);
    System.out.println(Blake3Native.AVAILABLE + "\n" + Blake3Native.STATUS + "\n" + HexFormat.of().formatHex(h.finish()));
  }
}
