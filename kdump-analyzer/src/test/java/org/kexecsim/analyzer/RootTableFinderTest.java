package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
      PagingContext ctx = RootTableFinder.find(d);
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
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(machine.cr3(), ctx.root());
      assertEquals(PagingMode.PAE, ctx.mode());
    }
  }

  @Test
  void aQemuCr3WithPcidAndThePtiUserBitIsMaskedToTheKernelPgdWhenVmcoreinfoShowsPti() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 13);
    assertEquals(0, machine.cr3() & 0x1FFF, "the builder's first table is 8 KiB-aligned, like a PTI pgd pair");
    long userCr3 = machine.cr3() | (1L << 12) | 0x5; // PTI user PGD, PCID 5
    VmcoreInfo info = VmcoreInfo.builder().symbol("init_top_pgt", RootTableFinder.START_KERNEL_MAP + machine.cr3())
        .number("phys_base", 0).build();
    try (Dump d = qemuWithInfo(machine, userCr3, Optional.of(info), "core")) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(machine.cr3(), ctx.root());
      assertTrue(ctx.rootSource().contains("PTI user PGD bit 12 masked"), ctx.rootSource());
      assertTrue(ctx.rootSource().contains("CR3 is it + 0x1000"), ctx.rootSource());
      PagingContext explicit = RootTableFinder.find(d, OptionalLong.of(0x9000), Optional.of(PagingMode.PAE), 0);
      assertEquals(0x9000, explicit.root(), "an explicit CR3 wins over the note");
      assertEquals("--cr3", explicit.rootSource());
      assertEquals(PagingMode.PAE, explicit.mode());
    }
    try (Dump d = qemuWithInfo(machine, userCr3, Optional.empty(), "bare")) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(machine.cr3() | (1L << 12), ctx.root(), "nothing shows PTI: CR3's own table (PCID bits are never address bits)");
      assertTrue(ctx.rootSource().contains("used as is (no VMCOREINFO kernel root to show PTI)"), ctx.rootSource());
    }
  }

  @Test
  void aCr3Of0x1000WithoutPtiWalksFrom0x1000NotFrom0() throws Exception {
    // A root table at 0x1000 (a small guest, a boot loader's tables): masking bit 12 would walk
    // the zero page at 0 and answer "not mapped" for everything, silently wrong.
    org.kexecsim.memory.SparseMemory m = new org.kexecsim.memory.SparseMemory(SimulatedMachine.RAM);
    org.kexecsim.pagetable.PageTableBuilder b = org.kexecsim.pagetable.PageTableBuilder.create(m, PagingMode.LEVEL4,
        new org.kexecsim.pagetable.BumpFrameAllocator(0x1000, 0x9_0000));
    long va = 0xffff_8880_0000_0000L;
    b.map(va, 0x20_0000, 0x20_0000, org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL, org.kexecsim.mmu.PageSize.SIZE_2M);
    assertEquals(0x1000, b.root());
    SimulatedMachine machine = new SimulatedMachine(m, PagingMode.LEVEL4, b.root(), java.util.List.of(), b.tablePages());
    VmcoreInfo elsewhere = VmcoreInfo.builder().symbol("init_top_pgt", RootTableFinder.START_KERNEL_MAP + 0x8_0000)
        .number("phys_base", 0).build();
    for (Optional<VmcoreInfo> info : java.util.List.of(Optional.<VmcoreInfo>empty(), Optional.of(elsewhere))) {
      try (Dump d = qemuWithInfo(machine, 0x1000, info, "core" + info.isPresent())) {
        PagingContext ctx = RootTableFinder.find(d);
        assertEquals(0x1000, ctx.root(), ctx.rootSource());
        assertTrue(ctx.rootSource().contains("CR3 0x1000 used as is"), ctx.rootSource());
        assertEquals(0x20_0123L, org.kexecsim.analyzer.vtop.Vtop.translate(d.physicalMemory(), ctx, java.util.List.of(va + 0x123))
            .results().getFirst().physical().orElseThrow());
      }
    }
  }

  @Test
  void aProcessUserCr3IsMaskedWhenTheTableBelowClonesTheKernelHalf() throws Exception {
    // The synthetic kernel allocates PTI pgd pairs; a process's kernel pgd copies init_top_pgt's
    // entries 256-511 (pgd_ctor), its user twin at +4 KiB does not.
    org.kexecsim.kernel.CrashedKernel k = org.kexecsim.kernel.KernelBoot.boot(org.kexecsim.kimage.Arch.X86_64,
        org.kexecsim.memory.RamMap.ofSize(512L << 20), Optional.of("64M@256M"), 7);
    long proc = k.processes().getLast().pgdPhysical();
    assertTrue(proc != k.kernelPgd());
    VmcoreInfo info = VmcoreInfo.parse(new String(k.vmcoreinfoData(), java.nio.charset.StandardCharsets.US_ASCII).replace("\0", ""));
    SimulatedMachine machine = new SimulatedMachine(k.memory(), PagingMode.LEVEL4, k.kernelPgd(), java.util.List.of(), java.util.List.of());
    try (Dump d = qemuWithInfo(machine, proc | (1L << 12), Optional.of(info), "proc")) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(proc, ctx.root(), ctx.rootSource());
      assertTrue(ctx.rootSource().contains("shares the upper-half PML4 entries"), ctx.rootSource());
    }
    try (Dump d = qemuWithInfo(machine, proc, Optional.of(info), "kernelmode")) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(proc, ctx.root(), "bit 12 clear: the kernel pgd itself, used as is");
      assertTrue(ctx.rootSource().contains("no PTI evidence"), ctx.rootSource());
    }
    // Without PTI two process pgds can be neighbours, each with the full cloned kernel half: a CR3
    // with bit 12 set is then that process's own pgd, not a user twin.
    for (long off = 0; off < 4096; off += 8) {
      k.memory().writeU64(proc + 4096 + off, k.memory().readU64(proc + off));
    }
    try (Dump d = qemuWithInfo(machine, proc | (1L << 12), Optional.of(info), "neighbour")) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(proc | (1L << 12), ctx.root(), ctx.rootSource());
      assertTrue(ctx.rootSource().contains("used as is"), ctx.rootSource());
    }
  }

  @Test
  void withoutVmcoreinfoAPaePtiPairIsRecognisedByItsMirroredUserHalf() throws Exception {
    // x86-32 PTI: an 8 KiB pgd pair, CR3 at the user copy while in user mode; the user copy has
    // the same user-half PDPTEs and its own PDPTE 3 (arch/x86/mm/pti.c). A real 686-pae guest under
    // QEMU dumps exactly that whenever CPU 0 was in user mode.
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.PAE, 15);
    long kernel = 140L << 20;
    long user = kernel + 0x1000;
    for (int i = 0; i < 4; i++) {
      long e = machine.memory().readU64(machine.cr3() + 8L * i);
      machine.memory().writeU64(kernel + 8L * i, e);
      machine.memory().writeU64(user + 8L * i, i < 3 ? e | org.kexecsim.mmu.PageTableEntry.A : 0);
    }
    try (Dump d = qemuWithInfo(machine, user, Optional.empty(), "pae-pti", ElfClass.ELF32)) {
      PagingContext ctx = RootTableFinder.find(d);
      assertEquals(kernel, ctx.root(), ctx.rootSource());
      assertTrue(ctx.rootSource().contains("repeats CR3's user-half entries but not its kernel half"), ctx.rootSource());
      long text = SimulatedMachine.textVa(PagingMode.PAE);
      assertEquals(SimulatedMachine.TEXT_PA, org.kexecsim.analyzer.vtop.Vtop.translate(d.physicalMemory(), ctx,
          java.util.List.of(text)).results().getFirst().physical().orElseThrow(), "the kernel half is the kernel's");
    }
    // user halves differ (another PMD under PDPTE 0): two unrelated pgds side by side
    machine.memory().writeU64(user, machine.memory().readU64(user) ^ 0x10_0000L);
    try (Dump d = qemuWithInfo(machine, user, Optional.empty(), "pae-two", ElfClass.ELF32)) {
      assertEquals(user, RootTableFinder.find(d).root());
    }
  }

  private Dump qemuWithInfo(SimulatedMachine machine, long cr3, Optional<VmcoreInfo> info, String name) throws Exception {
    return qemuWithInfo(machine, cr3, info, name, ElfClass.ELF64);
  }

  private Dump qemuWithInfo(SimulatedMachine machine, long cr3, Optional<VmcoreInfo> info, String name, ElfClass cls)
      throws Exception {
    Path out = dir.resolve(name);
    org.kexecsim.dump.ElfCoreWriter.write(machine.memory(), org.kexecsim.dump.CoreSpec.qemu(cls,
        cls == ElfClass.ELF64 ? org.kexecsim.dump.PrStatus.Arch.X86_64 : org.kexecsim.dump.PrStatus.Arch.I386, machine.memory().ramMap().ranges(),
        java.util.List.of(new org.kexecsim.dump.CpuSnapshot(1, machine.registers().with(Register.CR3, cr3))), info), out, false);
    return ElfCoreReader.open(out);
  }

  @Test
  void aRawImageWithoutCr3IsAUsageError() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 14);
    try (Dump d = org.kexecsim.dump.RawImage.open(
        SimulatedMachine.writeRaw(machine.memory(), dir.resolve("raw")), SimulatedMachine.RAM)) {
      AnalysisException e = assertThrows(AnalysisException.class,
          () -> RootTableFinder.find(d));
      assertEquals(AnalysisException.Kind.USAGE, e.kind());
      assertEquals(machine.cr3(), RootTableFinder.find(d, OptionalLong.of(machine.cr3()), Optional.of(PagingMode.LEVEL4), 0).root());
    }
  }
}
