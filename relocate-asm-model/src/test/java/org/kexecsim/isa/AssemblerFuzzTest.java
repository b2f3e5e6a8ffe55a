package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * The assembler over any text. Rule: an {@link Assembly}, or one {@link AssemblyException}
 * with a 1-based line and column inside the source; never another Throwable, never a hang, and
 * no allocation sized by a number in the source beyond what the checks allow.
 */
class AssemblerFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void anyTextAssemblesOrSaysWhereItIsWrong(FuzzedDataProvider data) {
    int bits = data.consumeBoolean() ? 64 : 32;
    String source = data.consumeRemainingAsString();
    try {
      Assembler.assemble(source, bits);
    } catch (AssemblyException e) {
      long lines = source.chars().filter(c -> c == '\n').count() + 1;
      assertTrue(e.line() >= 1 && e.line() <= lines, () -> "line " + e.line() + " of " + lines + ": " + e.getMessage());
      assertTrue(e.column() >= 1, () -> "column " + e.column() + ": " + e.getMessage());
    }
  }
}
