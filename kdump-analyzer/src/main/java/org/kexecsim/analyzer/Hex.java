package org.kexecsim.analyzer;

/** How analyses print addresses: 0x-prefixed lower-case hex, unsigned. */
public final class Hex {
  private Hex() {}

  public static String of(long value) {
    return "0x" + Long.toHexString(value);
  }

  /** Parses 0x-hex or decimal, unsigned 64-bit. */
  public static long parse(String text) {
    String s = text.trim().replace("_", "");
    if (s.startsWith("0x") || s.startsWith("0X")) {
      return Long.parseUnsignedLong(s.substring(2), 16);
    }
    return Long.parseUnsignedLong(s);
  }
}
