package org.kexecsim.isa;

/**
 * The NOP padding GNU as 2.40 puts into code for .align (its default tuning: i386 for --32,
 * generic64 for --64). 32-bit code uses lea-based no-ops of up to 7 bytes, 64-bit code 0F 1F
 * no-ops of up to 11 bytes, longest first. Past a number of no-ops (more than 2 whole
 * longest ones in 32-bit code, more than 7 in 64-bit code) it jumps over the padding instead:
 * jmp rel8 while the displacement fits, jmp rel32 beyond. Thresholds measured against GNU as
 * 2.40 for every padding from 1 to 255 bytes (test: GasOracleTest).
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
    if (n / longest > (bits == 64 ? 7 : 2)) {
      if (n - 2 <= 127) {
        out.write(0xEB); // jmp rel8 over the padding
        out.write(n - 2);
        left = n - 2;
      } else {
        out.write(0xE9); // jmp rel32
        int disp = n - 5;
        out.writeBytes(new byte[] {(byte) disp, (byte) (disp >> 8), (byte) (disp >> 16), (byte) (disp >> 24)});
        left = n - 5;
      }
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
