package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.cpu.TestMachine.assertHalted;

import org.junit.jupiter.api.Test;

/** Architectural effects of the data-movement, arithmetic and control-flow forms (SDM Vol. 2). */
class InstructionEffectsTest {
  static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RSI = 6, RDI = 7, R8 = 8, R9 = 9;

  @Test
  void movFormsAndZeroExtensionOf32BitResults() {
    TestMachine m = TestMachine.longMode();
    m.cpu.setRegister(RBX, -1);
    assertHalted(m.run("""
        movabs $0x1122334455667788,%rax
        mov $-1,%rcx
        mov $5,%ebx            # a 32-bit write clears bits 63:32 (SDM Vol. 1 §3.4.1.1)
        mov %rax,0x200(%rsp)
        mov 0x200(%rsp),%rdx
        lea 0x10(%rbx,%rbx,4),%r8
        movl $0x80000000,0x208(%rsp)
        mov 0x208(%rsp),%r9d
        movq $-2,0x210(%rsp)
        mov 0x210(%rsp),%rsi
        hlt
        """));
    assertEquals(0x1122334455667788L, m.reg(RAX));
    assertEquals(-1L, m.reg(RCX));
    assertEquals(5, m.reg(RBX));
    assertEquals(0x1122334455667788L, m.reg(RDX));
    assertEquals(0x10 + 5 * 5, m.reg(R8));
    assertEquals(0x80000000L, m.reg(R9));
    assertEquals(-2L, m.reg(RSI));
  }

  @Test
  void ripRelativeAddressingUsesTheNextInstructionAddress() {
    TestMachine m = TestMachine.longMode();
    var a = m.load("""
        lea value(%rip),%rsi
        mov value(%rip),%rax
        hlt
        .align 8
        value: .quad 0xfeedface
        """);
    assertHalted(m.cpu.run(10));
    assertEquals(a.symbols().get("value"), m.reg(RSI));
    assertEquals(0xfeedfaceL, m.reg(RAX));
  }

  @Test
  void addSubCmpSetCarryZeroSignOverflow() {
    TestMachine m = TestMachine.longMode();
    m.load("""
        mov $0xffffffff,%eax
        add $1,%eax
        hlt
        """);
    assertHalted(m.cpu.run(10));
    long f = m.cpu.rflags();
    assertEquals(0, m.reg(RAX));
    assertTrue((f & Rflags.CF) != 0 && (f & Rflags.ZF) != 0 && (f & Rflags.OF) == 0, "0xffffffff+1: CF ZF, no OF");

    TestMachine n = TestMachine.longMode();
    n.load("""
        mov $0x7fffffff,%ebx
        add $1,%ebx
        hlt
        """);
    assertHalted(n.cpu.run(10));
    long g = n.cpu.rflags();
    assertTrue((g & Rflags.OF) != 0 && (g & Rflags.SF) != 0 && (g & Rflags.CF) == 0, "signed overflow sets OF and SF");

    TestMachine c = TestMachine.longMode();
    c.load("""
        mov $3,%rax
        cmp $5,%rax
        hlt
        """);
    assertHalted(c.cpu.run(10));
    assertTrue((c.cpu.rflags() & Rflags.CF) != 0, "3 - 5 borrows");
    assertEquals(3, c.reg(RAX), "cmp does not write");
  }

  @Test
  void logicClearsCarryAndOverflowAndIncKeepsCarry() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $-1,%rax
        add $1,%rax           # CF=1
        inc %rbx              # INC leaves CF alone
        mov $0xf0,%ecx
        and $~0x30,%rcx
        or $0x80000001,%eax
        xor %r8d,%r8d
        hlt
        """));
    assertEquals(0xC0, m.reg(RCX));
    assertEquals(0x80000001L, m.reg(RAX));
    assertEquals(0, m.reg(R8));
    assertTrue((m.cpu.rflags() & Rflags.ZF) != 0, "xor of a register with itself sets ZF");
    assertTrue((m.cpu.rflags() & Rflags.CF) == 0, "logic ops clear CF");
  }

  @Test
  void shiftsReportTheLastBitOutInCarry() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $0x8000000000000001,%rax
        mov $1,%rdx
        shl $12,%rdx
        shr %rax
        hlt
        """));
    assertEquals(0x1000, m.reg(RDX));
    assertEquals(0x4000000000000000L, m.reg(RAX));
    assertTrue((m.cpu.rflags() & Rflags.CF) != 0, "bit 0 shifted out into CF");
  }

  @Test
  void loopWithDecAndJnzAndCallRet() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $10,%ecx
        xor %eax,%eax
        1: call add3
        dec %ecx
        jnz 1b
        hlt
        add3: add $3,%rax
        ret
        """));
    assertEquals(30, m.reg(RAX));
    assertEquals(TestMachine.STACK_TOP, m.reg(RSP), "calls and returns balance");
  }

  @Test
  void indirectJumpAndCallThroughRegistersAndMemory() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        lea there(%rip),%rax
        jmp *%rax
        ud2
        there: lea fn(%rip),%rdx
        mov %rdx,0x100(%rsp)
        call *0x100(%rsp)
        hlt
        fn: mov $42,%ebx
        ret
        """));
    assertEquals(42, m.reg(RBX));
  }

  @Test
  void pushPopAndImmediatePushesAreSignExtended() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        pushq $-1
        push $0x12345
        pop %rax
        pop %rbx
        push %r8
        pop %r9
        hlt
        """));
    assertEquals(0x12345, m.reg(RAX));
    assertEquals(-1L, m.reg(RBX));
    assertEquals(TestMachine.STACK_TOP, m.reg(RSP));
  }

  @Test
  void popfLoadsFlagsAndPushfKeepsBit1() {
    TestMachine m = TestMachine.longMode();
    m.cpu.setRflags(Rflags.IF | Rflags.CF);
    assertHalted(m.run("""
        pushq $0
        popfq
        pushfq
        pop %rax
        hlt
        """));
    assertEquals(Rflags.FIXED, m.cpu.rflags(), "popf of 0 clears IF and CF; bit 1 stays set");
    assertEquals(Rflags.FIXED, m.reg(RAX));
  }

  @Test
  void thirtyTwoBitCodeUsesEspAndWrapsAt4GiB() {
    TestMachine m = TestMachine.protectedFlat();
    assertHalted(m.run("""
        mov $0xfffffffc,%eax
        add $8,%eax
        push %eax
        pop %ebx
        inc %ecx
        hlt
        """));
    assertEquals(4, m.reg(RBX));
    assertEquals(1, m.reg(RCX));
    assertEquals(TestMachine.STACK_TOP, m.reg(RSP));
  }

  @Test
  void undefinedOpcodesRaiseUdNotAJavaException() {
    TestMachine m = TestMachine.longMode();
    m.memory.write(TestMachine.CODE, new byte[] {(byte) 0x0F, (byte) 0x31}, 0, 2); // rdtsc: outside the subset
    RunResult r = m.cpu.run(10);
    assertEquals(org.kexecsim.mmu.ExceptionVector.UD, r.exceptions().get(0).vector());
    assertEquals(RunState.TRIPLE_FAULT, r.state());
  }

  @Test
  void msrEferReadAndWrite() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $0xc0000080,%ecx
        rdmsr
        and $~0x800,%eax       # clear NXE
        wrmsr
        rdmsr
        hlt
        """));
    assertEquals(org.kexecsim.mmu.Efer.LME | org.kexecsim.mmu.Efer.LMA, m.cpu.control().efer());
    assertEquals(m.cpu.control().efer(), m.reg(RAX));
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 30})
  void executionFallsThroughGnuAsAlignmentPadding(int before) {
    for (TestMachine m : new TestMachine[] {TestMachine.longMode(), TestMachine.protectedFlat()}) {
      assertHalted(m.run(".fill " + before + ",1,0x90\n.align 32\nmov $7,%ebx\nhlt\n"));
      assertEquals(7, m.reg(RBX), m.bits + "-bit padding after " + before + " bytes");
    }
  }

  @Test
  void repRetAndPauseAreAccepted() {
    TestMachine m = TestMachine.longMode();
    m.memory.write(TestMachine.CODE, new byte[] {(byte) 0xF3, (byte) 0x90, (byte) 0xE8, 1, 0, 0, 0, (byte) 0xF4, (byte) 0xF3, (byte) 0xC3}, 0, 10);
    assertHalted(m.cpu.run(10));
    assertEquals(TestMachine.CODE + 8, m.cpu.rip());
  }
}
