package org.kexecsim.memory;

import java.util.Locale;

/** Sizes and addresses as people type them: {@code 0x1000}, {@code 4096}, {@code 4K}, {@code 64G}, {@code 1T}. */
public final class ByteSize {
  private ByteSize() {}

  /**
   * Parses a number in C syntax with an optional binary suffix (K, M, G, T, P, E; an optional
   * trailing B or iB). Throws NumberFormatException naming the text when it is not one, or when
   * the value does not fit in 64 unsigned bits.
   */
  public static long parse(String text) {
    String s = text.trim().toUpperCase(Locale.ROOT);
    if (s.endsWith("IB")) {
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("B") && !s.startsWith("0X")) {
      s = s.substring(0, s.length() - 1);
    }
    int shift = 0;
    if (!s.isEmpty() && !s.startsWith("0X")) {
      shift = suffixShift(s.charAt(s.length() - 1));
    }
    if (shift != 0) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.isEmpty()) {
      throw new NumberFormatException("'" + text + "' is not a size");
    }
    long value;
    try {
      value = s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseUnsignedLong(s);
    } catch (NumberFormatException e) {
      throw new NumberFormatException("'" + text + "' is not a number");
    }
    if (shift != 0 && Long.numberOfLeadingZeros(value) < shift) {
      throw new NumberFormatException("'" + text + "' does not fit in 64 bits");
    }
    return value << shift;
  }

  /** Formats a byte count the way the kernel prints sizes: 4K, 2M, 1G, or plain bytes. */
  public static String format(long bytes) {
    String[] units = {"", "K", "M", "G", "T", "P", "E"};
    int u = 0;
    long v = bytes;
    while (u < units.length - 1 && v != 0 && (v & 1023) == 0) {
      v >>>= 10;
      u++;
    }
    return Long.toUnsignedString(v) + units[u];
  }

  /**
   * The power of two a size suffix stands for, as the kernel's memparse (lib/cmdline.c) reads
   * it: K 10, M 20, G 30, T 40, P 50, E 60, either case; 0 for any other character.
   */
  public static int suffixShift(char suffix) {
    return switch (Character.toUpperCase(suffix)) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      case 'P' -> 50;
      case 'E' -> 60;
      default -> 0;
    };
  }
}
