package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Seed 003's SMP layout: one CLONE_VM host process per guest thread, pids indexed by CPU. */
class SmpUmlTest {
  @ParameterizedTest
  @ValueSource(ints = {2, 3, 4})
  void eachCpuControlsItsOwnHostProcessAndAllShareTheMmsAddressSpace(int cpus) {
    SmpUml uml = new SmpUml(cpus, k -> { });
    for (int c = 0; c < cpus; c++) {
      assertSame(uml.userspacePid[0].space(), uml.userspacePid[c].space(), "CLONE_VM: one host mm");
      assertSame(uml.cpuThread[c], uml.userspacePid[c].tracer(), "traced by its own CPU's kernel thread");
      for (int d = 0; d < c; d++) {
        assertNotEquals(uml.userspacePid[d].pid(), uml.userspacePid[c].pid());
        assertNotEquals(uml.cpuThread[d].pid(), uml.cpuThread[c].pid());
      }
    }
    assertEquals(uml.kernel.kernelProcess(), uml.cpuThread[0]);
  }
}
