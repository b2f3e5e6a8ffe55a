package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepTraceTest {

  @Test
  void eachStepRecordsRipBytesDisassemblyAndChanges() {
    TestMachine m = TestMachine.longMode();
    List<StepTrace> trace = new ArrayList<>();
    m.cpu.setTracer(trace::add);
    m.run("""
        push $0x1234
        mov %cr3,%rax
        mov %rax,%cr3
        hlt
        """);
    assertEquals(4, trace.size());
    StepTrace push = trace.get(0);
    assertEquals(TestMachine.CODE, push.rip());
    assertArrayEquals(new byte[] {0x68, 0x34, 0x12, 0, 0}, push.bytes());
    assertEquals("push   $0x1234", push.disassembly());
    assertTrue(push.changes().contains(new StepTrace.MemoryWrite(TestMachine.STACK_TOP - 8, TestMachine.STACK_TOP - 8, 8, 0x1234)), push.toString());
    assertTrue(push.changes().contains(new StepTrace.RegisterChange("rsp", "0x90000", "0x8fff8")), push.toString());
    assertEquals("mov    %rax,%cr3", trace.get(2).disassembly());
    assertTrue(trace.get(1).changes().contains(new StepTrace.RegisterChange("rax", "0x0", "0x1000")), trace.get(1).toString());
  }

  @Test
  void theBytesAreTheInstructionsOwnEvenWhenTheDecoderLooksAtOneTwice() {
    // FF /4 is told from FF /0 by its ModRM reg field, read before the ModRM itself is decoded
    TestMachine m = TestMachine.longMode();
    List<StepTrace> trace = new ArrayList<>();
    m.cpu.setTracer(trace::add);
    m.run("""
        lea 2f(%rip),%rax
        jmp *%rax
        2: hlt
        """);
    assertArrayEquals(new byte[] {(byte) 0xff, (byte) 0xe0}, trace.get(1).bytes(), trace.get(1).toString());
    assertEquals("jmp    *%rax", trace.get(1).disassembly());
  }

  @Test
  void faultsAppearInTheTraceOfTheirStep() {
    TestMachine m = TestMachine.longMode();
    List<StepTrace> trace = new ArrayList<>();
    m.cpu.setTracer(trace::add);
    m.run("ud2\n");
    assertTrue(trace.get(0).changes().stream().anyMatch(c -> c instanceof StepTrace.Exception), trace.get(0).toString());
  }

  @Test
  void withoutATracerNothingIsCollected() {
    TestMachine m = TestMachine.longMode();
    m.run("push $1\nhlt\n");
    assertEquals(null, m.cpu.stepChanges);
  }
}
