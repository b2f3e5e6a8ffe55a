package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.QemuCpuState;
import org.kexecsim.dump.Register;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.testing.RealDumps;

/**
 * Linux's control registers against a real Debian 6.1 kernel running under QEMU (its CPU note,
 * {@link RealDumps}): CR0 is exactly CR0_STATE (so ET and NE are set), and every CR4 bit the
 * factory claims is set on the real CPU. Skipped, with the reason, without the real dumps.
 */
class LinuxControlTest {

  @Test
  void cr0AndCr4AreWhatARealX86_64KernelRunsWith() throws Exception {
    check(RealDumps.x86_64(), PagingMode.LEVEL4);
  }

  @Test
  void cr0AndCr4AreWhatARealPaeKernelRunsWith() throws Exception {
    check(RealDumps.pae(), PagingMode.PAE);
  }

  private static void check(RealDumps.Set real, PagingMode mode) throws Exception {
    try (Dump dump = ElfCoreReader.open(real.qemuElf())) {
      QemuCpuState cpu = dump.qemuCpuStates().getFirst();
      long cr0 = cpu.registers().getOrZero(Register.CR0);
      long cr4 = cpu.registers().getOrZero(Register.CR4);
      LinuxControl linux = LinuxControl.of(mode);
      assertEquals(LinuxControl.CR0_STATE, cr0, () -> String.format("real CR0 0x%x", cr0));
      assertEquals(linux.cr0(), cr0);
      assertEquals(linux.cr4(), cr4 & linux.cr4(), () -> String.format("real CR4 0x%x lacks some of 0x%x", cr4, linux.cr4()));
      assertEquals(mode, PagingMode.of(cr0, cr4, linux.efer()));
    }
  }

  @Test
  void eachModeSelectsItselfAndLoads() {
    SparseMemory memory = new SparseMemory(RamMap.ofSize(1L << 20));
    for (PagingMode mode : PagingMode.values()) {
      LinuxControl c = LinuxControl.of(mode);
      assertEquals(mode, PagingMode.of(c.cr0(), c.cr4(), c.efer()), mode.cliName());
      PagingLoad load = c.load(0x1000, memory, CpuFeatures.DEFAULT);
      PagingLoad.Loaded loaded = assertInstanceOf(PagingLoad.Loaded.class, load, mode.cliName());
      assertEquals(mode, loaded.state().mode());
    }
    assertTrue((LinuxControl.of(PagingMode.BITS32).efer() & Efer.NXE) == 0, "32-bit entries have no XD bit");
  }

  @Test
  void aRefusedLoadIsAValueNotAnException() {
    SparseMemory memory = new SparseMemory(RamMap.ofSize(1L << 20));
    memory.writeU64(0x1000, PageTableEntry.P | (1L << 5)); // a PDPTE with a reserved bit (SDM §4.4.1)
    PagingLoad load = LinuxControl.of(PagingMode.PAE).load(0x1000, memory, CpuFeatures.DEFAULT);
    PagingLoad.Refused refused = assertInstanceOf(PagingLoad.Refused.class, load);
    assertEquals(ExceptionVector.GP, refused.fault().vector());
  }
}
