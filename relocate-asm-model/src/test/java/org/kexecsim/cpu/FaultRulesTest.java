package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kexecsim.mmu.ExceptionVector;

/**
 * One row per rule: the code, the mode, and the first exception the SDM says it raises. Each
 * machine has the IDT limit at 0, so the run ends in a triple fault after it.
 */
class FaultRulesTest {

  @ParameterizedTest(name = "{3}")
  @CsvSource(delimiter = '|', value = {
    // far transfers and segment loads (SDM Vol. 2 JMP/MOV, §3.4.5)
    "64 | pushq $0x10\\nlea 1f(%rip),%rax\\npush %rax\\nlretq\\n1: hlt | GP | 0x10 | lret to a data segment is #GP(sel)",
    "32 | ljmp $0x28,$0 | GP | 0x28 | far jump beyond the GDT limit is #GP(sel)",
    "32 | ljmp $0x0,$0 | GP | 0x0 | far jump to the null selector is #GP(0)",
    "32 | mov $0x18,%eax\\nmov %eax,%ss | GP | 0x18 | SS cannot hold a code segment",
    "32 | mov $0x1c,%eax\\nmov %eax,%ds | GP | 0x1c | TI=1 names an LDT, which is not modelled",
    "32 | mov $0x13,%eax\\nmov %eax,%ss | GP | 0x10 | SS needs RPL = CPL",
    // stack and limits (SDM §5.3, §3.3.7.1)
    "64 | movabs $0x800000000008,%rsp\\npush %rax | SS | 0x0 | a non-canonical stack access is #SS(0)",
    "64 | movabs $0x800000000000,%rax\\nmov (%rax),%rbx | GP | 0x0 | a non-canonical data access is #GP(0)",
    // system instructions
    "64 | mov $0x10,%ecx\\nrdmsr | GP | 0x0 | MSRs other than EFER are #GP(0) in this model",
    "64 | mov $0xc0000080,%ecx\\nrdmsr\\nand $~0x100,%eax\\nwrmsr | GP | 0x0 | changing EFER.LME with CR0.PG=1 is #GP(0)",
    "64 | mov %cr4,%rax\\nand $~0x20,%eax\\nmov %rax,%cr4 | GP | 0x0 | clearing CR4.PAE in IA-32e mode is #GP(0)",
    "64 | pushq $0x4002\\npopfq\\niretq | GP | 0x0 | IRET with NT=1 in IA-32e mode is #GP(0)",
    "64 | ud2 | UD | 0x0 | ud2 is #UD",
    "32 | lea 0x10(%eax),%eax\\n.byte 0x0f,0x31 | UD | 0x0 | rdtsc is outside the subset: #UD",
  })
  void firstExceptionFollowsTheRule(int bits, String code, String vector, String errorCode, String rule) {
    TestMachine m = bits == 64 ? TestMachine.longMode() : TestMachine.protectedFlat();
    RunResult r = m.run(code.replace("\\n", "\n") + "\nhlt\n");
    assertEquals(ExceptionVector.valueOf(vector), r.exceptions().isEmpty() ? null : r.exceptions().get(0).vector(), rule + ": " + r.exceptions());
    assertEquals(Integer.decode(errorCode), r.exceptions().get(0).errorCode(), rule);
    assertEquals(RunState.TRIPLE_FAULT, r.state(), rule);
  }
}
