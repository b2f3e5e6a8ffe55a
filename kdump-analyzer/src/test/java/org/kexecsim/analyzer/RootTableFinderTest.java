package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.mmu.PagingMode;

class RootTableFinderTest {
  @TempDir Path dir;

  @Test
  void x86_64VmcoreinfoGivesInitTopPgtMinusTheKernelMapPlusPhysBase() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 11);
    long physBase = 0x200000; // the kernel loaded 2 MiB above where it was linked
    VmcoreInfo info = VmcoreInfo.builder().osRelease("6.16.0").pageSize(4096)
        .symbol("init_top_pgt", RootTableFinder.START_KERNEL_MAP + machine.cr3() - physBase)
        .number("phys_base", physBase).number("pgtable_l5_enabled", 0).build();
    try (Dump d = ElfCoreReader.open(machine.writeVmcore(dir.resolve("vmcore"), ElfClass.ELF64, info))) {
      PagingContext ctx = RootTableFinder.find(d, OptionalLong.empty(), Optional.empty(), 0);
      assertEquals(machine.cr3(), ctx.root());
      assertEquals(PagingMode.LEVEL4, ctx.mode());
      assertEquals(String.format("VMCOREINFO SYMBOL(init_top_pgt) 0x%x - 0xffffffff80000000 + NUMBER(phys_base) 0x200000",
          RootTableFinder.START_KERNEL_MAP + machine.cr3() - physBase), ctx.rootSource());
    }
  }

  @Test
  void i386PaeVmcoreinfoGivesSwapperPgDirMinusPageOffset() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.PAE, 12);
    VmcoreInfo info = VmcoreInfo.builder().symbol("swapper_pg_dir", RootTableFinder.PAGE_OFFSET_I386 + machine.cr3())
        .config("X86_PAE").build();
    try (Dump d = ElfCoreReader.open(machine.writeVmcore(dir.resolve("vmcore"), ElfClass.ELF32, info))) {
      PagingContext ctx = RootTableFinder.find(d, OptionalLong.empty(), Optional.empty(), 0);
      assertEquals(machine.cr3(), ctx.root());
      assertEquals(PagingMode.PAE, ctx.mode());
    }
  }

  @Test
  void aQemuCr3WithPcidAndThePtiUserBitIsMaskedToTheKernelPgd() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 13);
    long userCr3 = machine.cr3() | (1L << 12) | 0x5; // PTI user PGD, PCID 5
    try (Dump d = ElfCoreReader.open(machine.writeQemu(machine.memory(), dir.resolve("core"), ElfClass.ELF64,
        machine.registers().with(Register.CR3, userCr3)))) {
      PagingContext ctx = RootTableFinder.find(d, OptionalLong.empty(), Optional.empty(), 0);
      assertEquals(machine.cr3(), ctx.root());
      PagingContext explicit = RootTableFinder.find(d, OptionalLong.of(0x9000), Optional.of(PagingMode.PAE), 0);
      assertEquals(0x9000, explicit.root(), "an explicit CR3 wins over the note");
      assertEquals("--cr3", explicit.rootSource());
      assertEquals(PagingMode.PAE, explicit.mode());
    }
  }

  @Test
  void aRawImageWithoutCr3IsAUsageError() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 14);
    try (Dump d = org.kexecsim.dump.RawImage.open(
        SimulatedMachine.writeRaw(machine.memory(), dir.resolve("raw")), SimulatedMachine.RAM)) {
      AnalysisException e = assertThrows(AnalysisException.class,
          () -> RootTableFinder.find(d, OptionalLong.empty(), Optional.empty(), 0));
      assertEquals(AnalysisException.Kind.USAGE, e.kind());
      assertEquals(machine.cr3(), RootTableFinder.find(d, OptionalLong.of(machine.cr3()), Optional.of(PagingMode.LEVEL4), 0).root());
    }
  }
}
