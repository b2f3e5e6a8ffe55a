package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An absolute memory operand (no base, no index) is printed as objdump prints it: an address,
 * never a negative displacement ("lgdt -0x3ef71ed9" was machine_kexec's i386 tail).
 */
class AbsoluteAddressSyntaxTest {

  @ParameterizedTest
  @ValueSource(ints = {32, 64})
  void absoluteOperandsReadAsObjdumpReadsThem(int bits) throws Exception {
    assumeTrue(ObjDump.available(), "objdump (binutils) is installed by .ci/run");
    String source = bits == 32
        ? "lgdt 0xc108e127\nmov 0xc0000000,%eax\nmov %eax,0x80000000\nmov -8(%ebp),%eax\nmov 0x10,%eax\n"
        : "lgdt 0xffffffff81093129\nmov 0xffffffff81000000,%eax\nmov %eax,0x10\nmov -8(%rbp),%rax\n";
    byte[] code = Assembler.assemble(source, bits).bytes();
    List<ObjDump.Line> lines = ObjDump.disassembleRaw(code, bits);
    for (ObjDump.Line l : lines) {
      Decoded d = Decoder.decode(code, (int) l.address(), l.address(), bits);
      String ours = AttSyntax.format(d.instruction(), l.address(), d.length(), bits);
      assertEquals(operands(l.text()), operands(ours), bits + "-bit: objdump '" + l.text() + "', ours '" + ours + "'");
    }
  }

  /** The operand text, without the mnemonic (objdump adds size suffixes such as lgdtl). */
  private static String operands(String att) {
    String[] w = att.strip().split("\\s+", 2);
    return w.length > 1 ? w[1].replaceAll("\\s+#.*", "") : "";
  }
}
