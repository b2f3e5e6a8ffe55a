package org.kexecsim.isa;

/**
 * The NOP padding GNU as 2.40 puts into code for .align (its default tuning: i386 for --32,
 * generic64 for --64). 32-bit code uses lea-based no-ops of up to 7 bytes and jumps over
 * padding longer than 15 bytes; 64-bit code uses 0F 1F no-ops of up to 11 bytes.
 */
final class Nops {
  private Nops() {}

  private static final String[] NOPS32 = {
    "", "90", "6690", "8d7600", "8d742600", "8d74260090", "8db600000000", "8db42600000000"
  };
  private static final String[] NOPS64 = {
    "", "90", "6690", "0f1f00", "0f1f4000", "0f1f440000", "660f1f440000", "0f1f8000000000",
    "0f1f840000000000", "660f1f840000000000", "662e0f1f840000000000", "66662e0f1f840000000000"
  };

  static byte[] padding(int n, int bits) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(n);
    String[] table = bits == 64 ? NOPS64 : NOPS32;
    int longest = table.length - 1;
    int left = n;
    if (bits == 32 && n > 15) {
      out.write(0xEB); // jmp over the padding
      out.write(n - 2);
      left = n - 2;
    }
    while (left > longest) {
      out.writeBytes(hex(table[longest]));
      left -= longest;
    }
    out.writeBytes(hex(table[left]));
    return out.toByteArray();
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }
}
