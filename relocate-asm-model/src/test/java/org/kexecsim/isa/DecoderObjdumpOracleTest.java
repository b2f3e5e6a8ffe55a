package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * objdump as the decoding oracle over random but valid byte sequences: random operands of
 * every supported form (RoundTripTest's generators) are encoded, objdump disassembles the
 * stream, and our decoder must find each instruction at the same address with the same length
 * and mnemonic. The seed is in the failure message; -Droundtrip.seed=N replays it.
 */
class DecoderObjdumpOracleTest {
  static final int SAMPLES = 40;

  @ParameterizedTest
  @ValueSource(ints = {32, 64})
  void randomValidEncodingsDecodeAsObjdumpDecodesThem(int bits) throws IOException {
    assumeTrue(ObjDump.available(), "objdump not installed");
    long seed = Long.getLong("roundtrip.seed", System.nanoTime());
    RoundTripTest.Gen g = new RoundTripTest.Gen(new Random(seed), bits);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    List<Instruction> sources = new ArrayList<>();
    for (Function<RoundTripTest.Gen, Instruction> form : RoundTripTest.forms(bits)) {
      for (int i = 0; i < SAMPLES; i++) {
        Instruction x = form.apply(g);
        long at = stream.size();
        boolean longBranch = x instanceof Instruction.Branch;
        if (x instanceof Instruction.Branch b) { // keep targets near: place them relative to here
          x = new Instruction.Branch(b.kind(), b.condition(), at + (b.target() - RoundTripTest.ADDRESS));
        }
        stream.writeBytes(Encoder.encode(x, bits, at, false, false, longBranch));
        sources.add(x);
      }
    }
    byte[] code = stream.toByteArray();
    List<ObjDump.Line> lines = ObjDump.disassembleRaw(code, bits);
    assertEquals(sources.size(), lines.size(), "seed " + seed + ": objdump found a different number of instructions");
    for (ObjDump.Line l : lines) {
      Decoded d = Decoder.decode(code, (int) l.address(), l.address(), bits);
      String where = String.format("seed %d, %d-bit, 0x%x %s '%s'", seed, bits, l.address(),
          HexFormat.of().formatHex(l.bytes()), l.text());
      assertEquals(l.bytes().length, d.length(), where + ": length");
      String ours = ObjDump.mnemonic(AttSyntax.format(d.instruction(), l.address(), d.length(), bits));
      assertTrue(ObjDump.sameMnemonic(l.mnemonic(), ours), where + ": objdump " + l.mnemonic() + ", ours " + ours);
    }
  }
}
