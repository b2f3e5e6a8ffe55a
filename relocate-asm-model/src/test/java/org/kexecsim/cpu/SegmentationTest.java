package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.kexecsim.cpu.TestMachine.assertHalted;
import static org.kexecsim.cpu.TestMachine.vectors;
import static org.kexecsim.mmu.ExceptionVector.DF;
import static org.kexecsim.mmu.ExceptionVector.GP;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.isa.Segment;

/** Segment loads, descriptor caches, far transfers and IRET frames (SDM §3.4, Vol. 2 MOV/IRET). */
class SegmentationTest {
  static final int RAX = 0, RBX = 3, RSP = 4;

  @Test
  void loadedSegmentKeepsItsCacheAfterTheGdtIsZapped() {
    // SDM §3.4.3: the hidden part changes only when the register is loaded
    TestMachine m = TestMachine.protectedFlat();
    m.memory.writeU32(0x400000 + 0x10, 0xCAFE);
    RunResult r = m.run("""
        mov $0x20,%eax
        mov %eax,%ds          # base 0x400000
        pushl $0
        pushl $0
        lgdt (%esp)           # GDT limit 0
        mov 0x10,%ebx         # still through the cached base
        mov %eax,%ds          # reloading now fails: #GP(0x20)
        hlt
        """);
    assertEquals(0xCAFE, m.reg(RBX));
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(GP, r.exceptions().get(0).vector());
    assertEquals(0x20, r.exceptions().get(0).errorCode(), "(sel & ~7) + 7 > GDTR.limit");
  }

  @Test
  void loadingASegmentSetsTheAccessedBitInTheGdt() {
    TestMachine m = TestMachine.protectedFlat();
    long before = m.memory.readU64(TestMachine.GDT + 0x20);
    assertEquals(0, before & (1L << 40));
    assertHalted(m.run("""
        mov $0x20,%eax
        mov %eax,%es
        hlt
        """));
    assertEquals(before | (1L << 40), m.memory.readU64(TestMachine.GDT + 0x20), "0x..92.. becomes 0x..93..");
  }

  @Test
  void nullSelectorIntoDsAndSsIsLegalIn64BitModeAtCpl0() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        xor %eax,%eax
        mov %eax,%ds
        mov %eax,%ss
        push $7               # a null SS still works in 64-bit mode
        pop %rbx
        mov (%rsp),%rcx       # and so does a null DS
        hlt
        """));
    assertEquals(7, m.reg(RBX));
    assertEquals(0, m.cpu.segment(Segment.SS).selector());
  }

  @Test
  void nullSelectorIntoSsIsGpIn32BitMode() {
    TestMachine m = TestMachine.protectedFlat();
    RunResult r = m.run("""
        xor %eax,%eax
        mov %eax,%ss
        hlt
        """);
    assertEquals(List.of(GP, GP, DF, GP), vectors(r));
    assertEquals(0, r.exceptions().get(0).errorCode());
    assertEquals(RunState.TRIPLE_FAULT, r.state());
  }

  @Test
  void nullDsIsLegalToLoadButFaultsOnUseIn32BitMode() {
    TestMachine m = TestMachine.protectedFlat();
    RunResult r = m.run("""
        xor %eax,%eax
        mov %eax,%ds
        mov $1,%ebx
        mov (%ebx),%ecx
        hlt
        """);
    assertEquals(1, m.reg(RBX), "the load itself succeeded");
    assertEquals(GP, r.exceptions().get(0).vector());
    assertFalse(m.cpu.segment(Segment.DS).usable());
  }

  @Test
  void iretqAlwaysPopsFiveSlotsAndLoadsRsp() {
    TestMachine m = TestMachine.longMode();
    var a = m.load("""
        mov %rsp,%rbx
        pushq $0x10           # SS
        pushq $0x8000         # RSP
        pushq $0x2            # RFLAGS
        pushq $0x08           # CS
        lea target(%rip),%rax
        push %rax             # RIP
        iretq
        ud2
        target: hlt
        """);
    assertHalted(m.cpu.run(100));
    assertEquals(0x8000, m.reg(RSP), "RSP is the popped value, not old RSP + 40");
    assertEquals(0x10, m.cpu.segment(Segment.SS).selector());
    assertEquals(a.symbols().get("target") + 1, m.cpu.rip());
  }

  @Test
  void iretlAtTheSamePrivilegePopsOnlyEipCsEflags() {
    // the 2.6.18 i386 frame 0, PA, 0, 0x08-style CS, EIP: only three dwords are consumed
    TestMachine m = TestMachine.protectedFlat();
    m.load("""
        pushl $0
        pushl $0x12345
        pushl $0x2
        pushl $0x18
        pushl $target
        iretl
        ud2
        target: hlt
        """);
    assertHalted(m.cpu.run(100));
    assertEquals(TestMachine.STACK_TOP - 8, m.reg(RSP), "two dwords stay on the stack");
  }

  @Test
  void compatibilityModeToSixtyFourBitThroughLjmpAndBackThroughLret() {
    TestMachine m = TestMachine.longMode();
    m.cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x18, TestMachine.CS32));
    assertEquals("compatibility", m.cpu.modeName());
    var a = m.load("""
        .code32
        ljmp $0x08,$long64
        .code64
        long64: mov $0x1122334455,%rax   # 64-bit operands now
        hlt
        """);
    assertHalted(m.cpu.run(100));
    assertEquals("64-bit", m.cpu.modeName());
    assertEquals(0x1122334455L, m.reg(RAX));
    assertEquals(1L << 40, m.memory.readU64(TestMachine.GDT + 8) & (1L << 40), "CS descriptor marked accessed");
    assertEquals(a.symbols().get("long64") + 11, m.cpu.rip());
  }

  @Test
  void lretqLoadsCsFromTheStack() {
    TestMachine m = TestMachine.longMode();
    m.load("""
        pushq $0x18
        lea compat(%rip),%rax
        push %rax
        lretq
        .code32
        compat: hlt
        """);
    assertHalted(m.cpu.run(100));
    assertEquals("compatibility", m.cpu.modeName());
  }

  @Test
  void lgdtTakesATenByteOperandIn64BitMode() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        movabs $0xffff888000001000,%rax
        movl $0x1234,0x100(%rsp)   # limit (the upper two bytes are overwritten next)
        mov %rax,0x102(%rsp)       # an 8-byte base follows the 2-byte limit
        lgdt 0x100(%rsp)
        hlt
        """));
    assertEquals(0xffff888000001000L, m.cpu.gdtrBase());
    assertEquals(0x1234, m.cpu.gdtrLimit());
  }
}
