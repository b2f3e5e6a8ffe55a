package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.HexFormat;

/**
 * The decoder over any bytes at any address. Rule: it always yields an instruction (Undefined
 * for what the subset lacks: the CPU's #UD) of 1 to 15 bytes, the same one every time, which
 * the disassembler can print.
 */
class DecoderFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void anyBytesDecodeToAnInstructionOfAtMost15Bytes(FuzzedDataProvider data) {
    int bits = data.consumeBoolean() ? 64 : 32;
    long address = data.consumeLong();
    byte[] code = data.consumeRemainingAsBytes();
    Decoded d = Decoder.decode(code, 0, address, bits);
    String where = bits + "-bit " + HexFormat.of().formatHex(code);
    assertTrue(d.length() >= 1 && d.length() <= Decoder.MAX_LENGTH, () -> d.length() + " bytes: " + where);
    assertEquals(d, Decoder.decode(code, 0, address, bits), where);
    if (!(d.instruction() instanceof Instruction.Undefined)) {
      AttSyntax.format(d.instruction(), address, d.length(), bits);
    }
  }
}
