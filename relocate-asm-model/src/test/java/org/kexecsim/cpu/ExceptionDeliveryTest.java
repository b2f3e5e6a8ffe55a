package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.cpu.TestMachine.assertHalted;
import static org.kexecsim.cpu.TestMachine.vectors;
import static org.kexecsim.mmu.ExceptionVector.DF;
import static org.kexecsim.mmu.ExceptionVector.GP;
import static org.kexecsim.mmu.ExceptionVector.PF;
import static org.kexecsim.mmu.ExceptionVector.UD;
import static org.kexecsim.mmu.ExceptionVector.BP;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Exception delivery through the IDT and the double/triple-fault rules (SDM §6.10–6.15). */
class ExceptionDeliveryTest {

  @Test
  void pageFaultWithIdtLimitZeroEndsInTripleFault() {
    // SDM §6.15: #PF, its gate beyond the limit → #GP(14*8+2+EXT); #PF+#GP → #DF; #DF's gate fails → shutdown
    TestMachine m = TestMachine.longMode();
    RunResult r = m.run("""
        movabs $0x7ffff0000000,%rax
        mov (%rax),%rbx
        hlt
        """);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(List.of(PF, GP, DF, GP), vectors(r));
    assertEquals(0x7ffff0000000L, m.cpu.cr2(), "CR2 holds the faulting linear address");
    assertEquals(14 * 8 + 2 + 1, r.exceptions().get(1).errorCode(), "IDT bit and EXT set");
    assertEquals(8 * 8 + 2 + 1, r.exceptions().get(3).errorCode());
  }

  @Test
  void int3WithEmptyIdtUsesExtZeroFirst() {
    // INT3 is software: its own gate failure has EXT=0; the #GP that follows is delivered serially
    TestMachine m = TestMachine.longMode();
    RunResult r = m.run("int3\n");
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(List.of(BP, GP, GP, DF, GP), vectors(r));
    assertEquals(0x1A, r.exceptions().get(1).errorCode());
    assertEquals(0x6B, r.exceptions().get(2).errorCode());
  }

  @Test
  void benignUdIsFollowedSeriallyByGp() {
    TestMachine m = TestMachine.protectedFlat();
    RunResult r = m.run("ud2\n");
    assertEquals(List.of(UD, GP, GP, DF, GP), vectors(r));
    assertEquals(6 * 8 + 2 + 1, r.exceptions().get(1).errorCode(), "legacy IDT: 8n+7 > limit");
    assertEquals(RunState.TRIPLE_FAULT, r.state());
  }

  @Test
  void doubleFaultClassesFollowTable65() {
    assertEquals(true, ExceptionDelivery.doubleFault(GP, GP));
    assertEquals(true, ExceptionDelivery.doubleFault(PF, PF));
    assertEquals(true, ExceptionDelivery.doubleFault(PF, GP));
    assertEquals(false, ExceptionDelivery.doubleFault(GP, PF), "contributory then #PF is handled serially");
    assertEquals(false, ExceptionDelivery.doubleFault(UD, GP), "benign first: serial");
  }

  /** Writes a 64-bit interrupt gate for {@code vector} to {@code handler} through selector 0x08. */
  static void gate64(TestMachine m, long idt, int vector, long handler, int type) {
    long lo = (handler & 0xFFFF) | (0x08L << 16) | ((long) (0x80 | type) << 40) | ((handler >>> 16) & 0xFFFF) << 48;
    m.memory.writeU64(idt + 16L * vector, lo);
    m.memory.writeU64(idt + 16L * vector + 8, handler >>> 32);
  }

  @Test
  void validIdtDeliversPageFaultWithFrameAndErrorCode() {
    TestMachine m = TestMachine.longMode();
    var a = m.load("""
        pushq $0x202
        popfq
        movabs $0x7ffff0000000,%rax
        fault: movq $1,(%rax)
        hlt
        .align 16
        handler: hlt
        """);
    long idt = 0x9000;
    gate64(m, idt, 14, a.symbols().get("handler"), 0xE);
    m.cpu.setIdtr(idt, 16 * 32 - 1);
    long rspBefore = TestMachine.STACK_TOP;
    RunResult r = m.cpu.run(100);
    assertHalted(r);
    assertEquals(a.symbols().get("handler") + 1, m.cpu.rip());
    long rsp = m.reg(4);
    assertEquals(rspBefore - 48, rsp, "SS, RSP, RFLAGS, CS, RIP and the error code");
    assertEquals(0x2, m.memory.readU64(rsp), "error code: W/R=1, P=0 (write to a not-present page)");
    assertEquals((long) a.symbols().get("fault"), m.memory.readU64(rsp + 8), "return RIP is the faulting instruction");
    assertEquals(0x08, m.memory.readU64(rsp + 16));
    assertEquals(0x202, m.memory.readU64(rsp + 24), "RFLAGS as before delivery");
    assertEquals(rspBefore, m.memory.readU64(rsp + 32));
    assertEquals(0x10, m.memory.readU64(rsp + 40), "old SS");
    assertEquals(0, m.cpu.rflags() & Rflags.IF, "an interrupt gate clears IF");
    assertEquals(0x7ffff0000000L, m.cpu.cr2());
  }

  @Test
  void trapGateForInt3ReturnsToNextInstructionAndKeepsIf() {
    TestMachine m = TestMachine.longMode();
    var a = m.load("""
        pushq $0x202
        popfq
        int3
        after: hlt
        handler: hlt
        """);
    long idt = 0x9000;
    gate64(m, idt, 3, a.symbols().get("handler"), 0xF);
    m.cpu.setIdtr(idt, 0xFFF);
    assertHalted(m.cpu.run(100));
    long rsp = m.reg(4);
    assertEquals(TestMachine.STACK_TOP - 40, rsp, "no error code for #BP");
    assertEquals((long) a.symbols().get("after"), m.memory.readU64(rsp));
    assertEquals(Rflags.IF, m.cpu.rflags() & Rflags.IF, "trap gates keep IF");
  }

  @Test
  void aZeroGateIsNotAnInterruptGate() {
    TestMachine m = TestMachine.longMode();
    m.load("ud2\n");
    m.cpu.setIdtr(0x9000, 0xFFF); // all gates zero: type 0 is not an interrupt gate
    RunResult r = m.cpu.run(10);
    assertEquals(GP, r.exceptions().get(1).vector());
    assertEquals(6 * 8 + 2 + 1, r.exceptions().get(1).errorCode());
  }

  @Test
  void legacyInterruptGatePushesEflagsCsEipAndErrorCode() {
    TestMachine m = TestMachine.protectedFlat();
    var a = m.load("""
        xor %eax,%eax
        mov %eax,%ds
        fault: mov (%eax),%ebx     # null DS in 32-bit code: #GP(0)
        hlt
        handler: hlt
        """);
    long idt = 0x9000;
    long handler = a.symbols().get("handler");
    long gate = (handler & 0xFFFF) | (0x18L << 16) | (0x8EL << 40) | ((handler >>> 16) & 0xFFFF) << 48;
    m.memory.writeU64(idt + 8L * 13, gate);
    m.cpu.setIdtr(idt, 8 * 32 - 1);
    assertHalted(m.cpu.run(20));
    assertEquals(handler + 1, m.cpu.rip());
    long esp = m.reg(4);
    assertEquals(TestMachine.STACK_TOP - 16, esp, "EFLAGS, CS, EIP, error code: 4 bytes each, no SS:ESP");
    assertEquals(0, m.memory.readU32(esp));
    assertEquals((long) a.symbols().get("fault"), m.memory.readU32(esp + 4));
    assertEquals(0x18, m.memory.readU32(esp + 8));
  }

  @Test
  void aNonCanonicalHandlerAddressFailsDeliveryWithExt() {
    TestMachine m = TestMachine.longMode();
    m.load("ud2\n");
    gate64(m, 0x9000, 6, 0x0000_8000_0000_0000L, 0xE);
    m.cpu.setIdtr(0x9000, 0xFFF);
    RunResult r = m.cpu.run(10);
    assertEquals(List.of(UD, GP), vectors(r).subList(0, 2));
    assertEquals(1, r.exceptions().get(1).errorCode(), "EXT=1, no selector");
  }
}
