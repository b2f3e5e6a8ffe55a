package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Bad source is one exception naming line, column and reason; nothing is truncated silently. */
class AssemblerErrorsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "nop\\n  frob %eax             | 64 | 2 | 3 | unknown mnemonic frob",
    "jmp nowhere              | 64 | 1 | 5 | undefined symbol nowhere",
    "jmp 1f                   | 64 | 1 | 5 | undefined symbol local label 1f",
    ".byte 256                | 64 | 1 | 1 | does not fit 1 byte",
    ".word 0x10000            | 64 | 1 | 1 | does not fit 2 bytes",
    "add $0x100000000,%eax    | 64 | 1 | 5 | does not fit 32 bits",
    "add $0x100000000,%rax    | 64 | 1 | 5 | sign-extended 32-bit",
    "mov %rax,%ebx            | 64 | 1 | 10 | operand size mismatch",
    "push %rax                | 32 | 1 | 6 | 64-bit",
    "mov %r8d,%eax            | 32 | 1 | 1 | exists only in 64-bit mode",
    "movl $1,(%rax)\\nmov $1,(%rax) | 64 | 2 | 1 | no instruction mnemonic suffix",
    "mov %eax,%cr8            | 64 | 1 | 5 | control-register moves need a 64-bit register",
    "mov %rax,%cr8            | 64 | 1 | 10 | %cr8 is outside the subset",
    "ljmp $8,$0               | 64 | 1 | 1 | does not exist in 64-bit mode",
    "mov %es:(%rax),%eax      | 64 | 1 | 5 | segment override",
    "x: nop\\nx: nop           | 64 | 2 | 1 | already defined",
    ".align 3                 | 64 | 1 | 1 | not a power of 2",
    ".fill 2,9,0              | 64 | 1 | 1 | must be 0..8",
    ".frobnicate 1            | 64 | 1 | 1 | unknown directive",
    "mov (%eax),%ebx          | 64 | 1 | 5 | address registers must be 64-bit",
    "lea %eax,%ebx            | 32 | 1 | 5 | needs a memory operand",
    "shl %dl,%eax             | 32 | 1 | 5 | shift count must be an immediate or %cl",
    ".quad 1/0                | 64 | 1 | 1 | division by zero",
    "movb $0x100,%al          | 32 | 1 | 6 | does not fit 8 bits",
    "movw %ax,%cs             | 32 | 1 | 10 | mov to %cs is invalid",
    "mov %ah,%sil             | 64 | 1 | 1 | cannot be used in an instruction that needs a REX prefix",
    "mov %ah,%r8b             | 64 | 1 | 1 | cannot be used in an instruction that needs a REX prefix",
    "mov %sil,%al             | 32 | 1 | 1 | exists only in 64-bit mode",
    "rep nop                  | 64 | 1 | 5 | rep applies only",
    ".fill 0x800000,2,0\\n.fill 1,1,0 | 64 | 2 | 1 | grows past 16 MiB",
    "mov %rax,%cr77777777777  | 64 | 1 | 10 | unknown register %cr77777777777",
  })
  void badSourceIsReportedWithPosition(String source, int bits, int line, int column, String reason) {
    AssemblyException e = assertThrows(AssemblyException.class,
        () -> Assembler.assemble(source.replace("\\n", "\n"), bits));
    assertEquals(line, e.line(), e.getMessage());
    assertEquals(column, e.column(), e.getMessage());
    assertTrue(e.reason().contains(reason), e.getMessage());
  }

  @Test
  void jumpsRelaxToRel32OnlyWhenTheDistanceNeedsIt() {
    Assembly near = Assembler.assemble("jmp 1f\n.fill 127,1,0x90\n1: nop\n", 64);
    assertEquals(0xEB, near.bytes()[0] & 0xFF);
    Assembly far = Assembler.assemble("jmp 1f\n.fill 128,1,0x90\n1: nop\n", 64);
    assertEquals(0xE9, far.bytes()[0] & 0xFF);
    assertEquals(128, far.bytes()[1] & 0xFF, "rel32 measured from the end of the 5-byte form");
  }

  @Test
  void symbolsAndSizeAreReported() {
    Assembly a = Assembler.assemble("""
        .globl start
        start: nop
        .set N, 3
        .data
        table: .fill N,4,0
        .text
        end: hlt
        """, 32, 0x1000);
    assertEquals(0x1000L, a.symbols().get("start"));
    assertEquals(0x1001L, a.symbols().get("end"));
    assertEquals(0x1002L, a.symbols().get("table"), ".data follows .text");
    assertEquals(2 + 12, a.size());
  }
}
