package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.testing.FuzzedMachine;

/**
 * Any sequence of MOV CRn / WRMSR EFER from protected mode without paging. Rule: each write is
 * accepted or refused with #GP(0) and a rule, or (PAE PDPTE load) names the address outside
 * RAM; a refused write changes nothing, and every accepted state is one the SDM allows.
 */
class ControlRegisterRulesFuzzTest {

  private static final ControlRegister[] REGISTERS = ControlRegister.values();

  @FuzzTest(maxDuration = "60s")
  void anyWriteSequenceKeepsALegalState(FuzzedDataProvider data) {
    FuzzedMachine machine = FuzzedMachine.from(data);
    CpuFeatures features = new CpuFeatures(data.consumeInt(32, 52), data.consumeBoolean());
    ControlState state = ControlState.PROTECTED_NO_PAGING;
    int writes = data.consumeInt(1, 12);
    for (int i = 0; i < writes; i++) {
      ControlRegister register = data.pickValue(REGISTERS);
      long value = data.consumeBoolean() ? machine.address(data) : data.consumeLong();
      ControlWrite w;
      try {
        w = ControlRegisterRules.write(
            state, register, value, state.longModeActive() && data.consumeBoolean(), data.consumeInt(0, 3),
            machine.memory(), features, CpuModel.HARDWARE);
      } catch (PhysicalAccessException e) {
        // only the PDPTE load reads memory; the message must name the PDPT's address
        assertTrue(e.getMessage().contains(String.format("0x%x", e.physical())), e.getMessage());
        continue;
      }
      switch (w) {
        case ControlWrite.Refused r -> assertEquals(ExceptionVector.GP, r.vector(), r.rule());
        case ControlWrite.Accepted a -> {
          state = a.state();
          assertLegal(state);
          PagingState.of(state, features);
        }
      }
    }
  }

  private static void assertLegal(ControlState s) {
    if ((s.cr0() & Cr0.PG) != 0) {
      assertTrue((s.cr0() & Cr0.PE) != 0, "paging without protection");
    }
    if (s.longModeActive()) {
      assertTrue((s.cr0() & Cr0.PG) != 0 && (s.cr4() & Cr4.PAE) != 0 && (s.efer() & Efer.LME) != 0,
          () -> "LMA without PG, PAE and LME: " + s);
    }
    assertEquals(0, s.cr0() >>> 32, "CR0 bits 63:32 set");
    assertEquals(0, s.cr4() & ~Cr4.SUPPORTED, "reserved CR4 bits set");
  }
}
