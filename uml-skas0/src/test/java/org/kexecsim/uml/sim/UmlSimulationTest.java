package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.UmlKernel;
import org.kexecsim.uml.mode.UmlMode;

class UmlSimulationTest {
  static final String[] MODES = {"tt", "skas3", "skas0"};

  @Test
  void nOutOfRangeIsOneLineOfBadInput() {
    for (long n : new long[] {0, -1, Workload.FORK_EXEC.maxN() + 1}) {
      UmlInputException e = assertThrows(UmlInputException.class,
          () -> UmlSimulation.run(UmlMode.parse("skas0"), Workload.FORK_EXEC, n));
      assertTrue(e.getMessage().contains("fork-exec") && !e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void unknownNamesAreBadInput() {
    assertThrows(UmlInputException.class, () -> UmlMode.parse("skas4"));
    assertThrows(UmlInputException.class, () -> Workload.parse("page-storm"));
  }

  @Test
  void aGuestAccessOutsideEveryMappingIsBadInputNamingTheAddress() {
    UmlKernel k = UmlSimulation.boot(new UmlSimulation.Settings(UmlMode.parse("skas0"), Workload.FAULT_STORM, 1));
    UmlInputException e = assertThrows(UmlInputException.class,
        () -> k.perform(new GuestOperation.Touch(0x3000_0000L, false)));
    assertTrue(e.getMessage().contains("0x30000000"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Workload.class)
  void everyModeRunsEveryWorkloadOnBothArchesAndTheTotalsAreTheSumOfTheOperations(Workload w) {
    for (String m : MODES) {
      for (HostArch arch : HostArch.values()) {
        SimulationResult r = UmlSimulation.run(new UmlSimulation.Settings(UmlMode.parse(m), w, 20, arch, 3));
        for (Cost c : Cost.values()) {
          long sum = r.operations().stream().mapToLong(o -> o.get(c)).sum();
          assertEquals(sum, r.totals().get(c), m + " " + w + " " + c);
        }
        assertTrue(r.kernelLog().isEmpty(), r.kernelLog().toString());
      }
    }
  }

  @Test
  void aFaultStormOfNCausesExactlyNGuestFaults() {
    for (long n : new long[] {1, 2, 511, 513}) {
      SimulationResult r = UmlSimulation.run(UmlMode.parse("skas0"), Workload.FAULT_STORM, n);
      assertEquals(n, r.totals().get(Cost.GUEST_PAGE_FAULT));
    }
  }

  @Test
  void theSameSettingsGiveTheSameLedger() {
    var s = new UmlSimulation.Settings(UmlMode.parse("skas0"), Workload.FORK_EXEC, 10, HostArch.I386, 42);
    assertEquals(UmlSimulation.run(s), UmlSimulation.run(s));
  }

  @Test
  void bootIsItsOwnOperation() {
    SimulationResult r = UmlSimulation.run(UmlMode.parse("skas3"), Workload.CTX_SWITCH, 3);
    OperationCosts boot = r.operations().getFirst();
    assertEquals("boot", boot.operation());
    assertFalse(r.operation("context-switch").count() == 0);
  }
}
