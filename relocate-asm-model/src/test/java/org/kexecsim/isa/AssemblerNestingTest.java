package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Hostile nesting (issue 15, item 2): self-referring .equ, very long .equ chains, deep
 * parentheses and long unary or operator chains are one error naming the line, never a
 * StackOverflowError; ordinary nesting still assembles.
 */
class AssemblerNestingTest {

  private static AssemblyException rejected(String source) {
    return assertThrows(AssemblyException.class, () -> Assembler.assemble(source, 64));
  }

  @Test
  void anEquThatRefersToItselfIsAnErrorOnItsLine() {
    AssemblyException e = rejected("nop\n.equ a, a+1\n.quad a\n");
    assertTrue(e.line() == 2 || e.line() == 3, e.getMessage());
    assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
  }

  @Test
  void aTwoSymbolEquCycleIsAnError() {
    AssemblyException e = rejected(".equ a, b\n.equ b, a\n.quad a\n");
    assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
  }

  @Test
  void aHundredThousandDeepEquChainIsAnErrorNotAStackOverflow() {
    StringBuilder s = new StringBuilder(".equ s0, 1\n");
    int n = 100_000;
    for (int i = 1; i <= n; i++) {
      s.append(".equ s").append(i).append(", s").append(i - 1).append("+1\n");
    }
    s.append(".quad s").append(n).append('\n');
    AssemblyException e = rejected(s.toString());
    assertTrue(e.line() >= 1 && e.line() <= n + 2, e.getMessage());
    assertTrue(e.getMessage().contains("deeper than"), e.getMessage());
  }

  @Test
  void aHundredThousandNestedParenthesesAreAnErrorOnTheLine() {
    String deep = "(".repeat(100_000) + "1" + ")".repeat(100_000);
    AssemblyException e = rejected("nop\n.quad " + deep + "\n");
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("nests deeper than"), e.getMessage());
  }

  @Test
  void twoHundredThousandUnaryMinusesAreAnErrorOnTheLine() {
    AssemblyException e = rejected(".quad " + "-".repeat(200_000) + "1\n");
    assertEquals(1, e.line());
    assertTrue(e.getMessage().contains("nests deeper than"), e.getMessage());
  }

  @Test
  void aHundredThousandTermSumIsAnErrorNotAStackOverflow() {
    AssemblyException e = rejected(".quad 1" + "+1".repeat(100_000) + "\n");
    assertEquals(1, e.line());
  }

  @Test
  void theDeepestAcceptedExpressionOverTheDeepestAcceptedConstantEvaluates() {
    // both just inside the bounds: the evaluator's recursion must still fit the stack
    String minuses = "-".repeat(ExpressionParser.MAX_DEPTH - 2);
    String source = ".equ x, " + minuses + "1\n.quad " + minuses + "x\n";
    byte[] bytes = Assembler.assemble(source, 64).bytes();
    assertEquals(1, bytes[0]); // an even number of minuses twice over
  }

  @Test
  void ordinaryNestingAndChainsStillAssemble() {
    // 100 parentheses, 100 minuses (even: +1) and a 100-deep chain are well inside the bounds
    StringBuilder s = new StringBuilder(".quad " + "(".repeat(100) + "1" + ")".repeat(100) + "\n");
    s.append(".quad ").append("-".repeat(100)).append("1\n");
    s.append(".equ s0, 1\n");
    for (int i = 1; i <= 100; i++) {
      s.append(".equ s").append(i).append(", s").append(i - 1).append("+1\n");
    }
    s.append(".quad s100\n");
    byte[] bytes = Assembler.assemble(s.toString(), 64).bytes();
    byte[] want = new byte[24];
    want[0] = 1;
    want[8] = 1;
    want[16] = 101;
    assertArrayEquals(want, bytes);
  }
}
