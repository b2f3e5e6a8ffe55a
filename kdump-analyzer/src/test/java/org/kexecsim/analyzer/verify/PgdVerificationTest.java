package org.kexecsim.analyzer.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.RootTableFinder.LabeledRoot;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kernel.KernelProcess;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.WalkStep;

/**
 * verify-pgd on what real data looks like, over the kernel package's synthetic crashed kernel:
 * hardware A/D updates versus software writes, one verdict per root (VMCOREINFO's and each
 * CPU's CR3), and a vmcore alone.
 */
class PgdVerificationTest {
  @TempDir Path dir;

  static CrashedKernel boot(Arch arch) {
    return KernelBoot.boot(arch, RamMap.ofSize(512L << 20), Optional.of("64M@256M"), 99);
  }

  static VmcoreInfo info(CrashedKernel k) {
    return VmcoreInfo.parse(new String(k.vmcoreinfoData(), StandardCharsets.US_ASCII).replace("\0", ""));
  }

  static long read(SparseMemory m, PagingMode mode, long at) {
    return mode.readEntry(m, at);
  }

  static void write(SparseMemory m, PagingMode mode, long at, long v) {
    mode.writeEntry(m, at, v);
  }

  RegisterFile regs(CrashedKernel k, long cr3) {
    return RegisterFile.EMPTY.with(Register.CR0, k.registers().cr0()).with(Register.CR3, cr3)
        .with(Register.CR4, k.registers().cr4()).with(Register.EFER, k.registers().efer());
  }

  Dump qemu(CrashedKernel k, SparseMemory m, List<Long> cr3s, Optional<VmcoreInfo> info, String name) throws Exception {
    boolean x64 = k.arch() == Arch.X86_64;
    List<CpuSnapshot> cpus = new ArrayList<>();
    for (int i = 0; i < cr3s.size(); i++) {
      cpus.add(new CpuSnapshot(i + 1, regs(k, cr3s.get(i))));
    }
    Path out = dir.resolve(name);
    ElfCoreWriter.write(m, CoreSpec.qemu(x64 ? ElfClass.ELF64 : ElfClass.ELF32,
        x64 ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386, m.ramMap().ranges(), cpus, info), out, false);
    return ElfCoreReader.open(out);
  }

  Dump vmcore(CrashedKernel k, SparseMemory m, String name) throws Exception {
    boolean x64 = k.arch() == Arch.X86_64;
    Path out = dir.resolve(name);
    ElfCoreWriter.write(m, CoreSpec.vmcore(x64 ? ElfClass.ELF64 : ElfClass.ELF32,
        x64 ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386, m.ramMap().ranges(),
        List.of(new CpuSnapshot(1, regs(k, k.registers().cr3()))), Optional.of(info(k)), Optional.empty()), out, false);
    return ElfCoreReader.open(out);
  }

  /** The leaf entry mapping relocate_new_kernel through the kernel's root. */
  static WalkStep textLeaf(CrashedKernel k, PagingContext ctx) {
    return Vtop.translate(k.memory(), ctx, List.of(k.relocateKernelVirtual())).results().getFirst().steps().getLast();
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void accessedAndDirtySetByHardwareWalksAreReportedButPreservedUnlessStrict(Arch arch) {
    CrashedKernel k = boot(arch);
    PagingMode mode = arch.pagingMode();
    PagingContext ctx = RootTableFinder.explicit(k.memory(), k.kernelPgd(), mode);
    WalkStep leaf = textLeaf(k, ctx);
    long ad = PageTableEntry.A | PageTableEntry.D;
    SparseMemory before = k.memory();
    write(before, mode, leaf.entryPhysical(), leaf.value() & ~ad); // not yet touched before the crash
    SparseMemory walked = before.copy();
    write(walked, mode, leaf.entryPhysical(), leaf.value() | ad); // the CPU's walk and write set A, then D

    PgdVerdict tolerant = PgdVerifier.verify(before, walked, ctx, "kernel", false);
    assertTrue(tolerant.preserved(), tolerant.toText());
    assertEquals(1, tolerant.changedTables());
    assertEquals(0, tolerant.softwareChangedTables());
    assertEquals(ChangeKind.ACCESSED_DIRTY, tolerant.changes().getFirst().entries().getFirst().kind());
    assertTrue(tolerant.toText().contains("A/D set by a hardware walk"), tolerant.toText());

    PgdVerdict strict = PgdVerifier.verify(before, walked, ctx, "kernel", true);
    assertFalse(strict.preserved(), "--strict keeps byte identity");

    SparseMemory rewritten = before.copy();
    write(rewritten, mode, leaf.entryPhysical(), (leaf.value() & ~ad) ^ PageTableEntry.RW);
    PgdVerdict software = PgdVerifier.verify(before, rewritten, ctx, "kernel", false);
    assertFalse(software.preserved(), "a rights change is a software write");
    assertEquals(ChangeKind.SOFTWARE, software.changes().getFirst().entries().getFirst().kind());

    SparseMemory aged = walked.copy();
    write(aged, mode, leaf.entryPhysical(), leaf.value() & ~ad);
    PgdVerdict cleared = PgdVerifier.verify(walked, aged, ctx, "kernel", false);
    assertFalse(cleared.preserved(), "hardware never clears A or D: clearing them is software (page aging)");
  }

  @ParameterizedTest
  @EnumSource(value = Arch.class, names = {"PAE", "X86_64"})
  void withoutCr3EveryRootGetsAVerdictAndTheOverallNeedsAll(Arch arch) throws Exception {
    CrashedKernel k = boot(arch);
    PagingMode mode = arch.pagingMode();
    KernelProcess other = k.processes().stream().filter(p -> p.pgdPhysical() != k.currentPgd()).findFirst().orElseThrow();
    // On x86_64 the other CPU runs in user mode: its CR3 is the PTI user twin of the process pgd.
    long otherCr3 = other.pgdPhysical() | (arch == Arch.X86_64 ? 1L << 12 : 0);
    List<Long> cr3s = List.of(k.registers().cr3(), otherCr3);

    SparseMemory after = k.memory().copy();
    long userVa = arch == Arch.X86_64 ? 0x40_0000L : 0x0804_8000L;
    int shift = mode.shift(mode.levels());
    long index = (userVa >>> shift) & (mode == PagingMode.PAE ? 3 : 511);
    write(after, mode, other.pgdPhysical() + 8 * index, 0); // the capture side overwrote that process's top entry

    try (Dump b = qemu(k, k.memory(), cr3s, Optional.of(info(k)), "before");
        Dump a = qemu(k, after, cr3s, Optional.empty(), "after")) {
      List<LabeledRoot> roots = RootTableFinder.allRoots(b, b.vmcoreInfo(), Optional.empty());
      assertEquals(List.of("VMCOREINFO kernel root", "CPU 0 CR3", "CPU 1 CR3"), roots.stream().map(LabeledRoot::label).toList());
      assertEquals(List.of(k.kernelPgd(), k.currentPgd(), other.pgdPhysical()),
          roots.stream().map(r -> r.paging().root()).toList(), "bit 12 masked on PTI evidence only");

      List<PgdVerdict> verdicts = roots.stream()
          .map(r -> PgdVerifier.verify(b.physicalMemory(), a.physicalMemory(), r.paging(), r.label(), false)).toList();
      assertEquals(List.of(true, true, false), verdicts.stream().map(PgdVerdict::preserved).toList());
      PgdVerification all = new PgdVerification(false, false, verdicts);
      assertFalse(all.preserved());
      assertTrue(all.toText().contains("overall: NOT PRESERVED (2 of 3 roots)"), all.toText());
      assertEquals("NOT PRESERVED", all.toJson().path("roots").get(2).path("verdict").asText());
      assertEquals("CPU 1 CR3", all.toJson().path("roots").get(2).path("label").asText());
    }
  }

  @org.junit.jupiter.api.Test
  void aCpuWithPagingOffIsLeftOutAndSaidSoInsteadOfFailingTheRun() throws Exception {
    CrashedKernel k = boot(Arch.X86_64);
    List<CpuSnapshot> cpus = List.of(new CpuSnapshot(1, regs(k, k.registers().cr3())),
        new CpuSnapshot(2, RegisterFile.EMPTY.with(Register.CR0, 0x6000_0010L).with(Register.CR3, 0))); // an offline vCPU, as QEMU reset it
    Path out = dir.resolve("offline");
    ElfCoreWriter.write(k.memory(), CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, k.memory().ramMap().ranges(), cpus,
        Optional.of(info(k))), out, false);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(List.of("VMCOREINFO kernel root", "CPU 0 CR3"),
          RootTableFinder.allRoots(d, d.vmcoreInfo(), Optional.empty()).stream().map(LabeledRoot::label).toList());
      assertEquals(List.of(1), RootTableFinder.cpusWithoutPaging(d));
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void aVmcoreAloneIsIntactWhenItsTablesAreThereAndTheKernelSymbolsTranslate(Arch arch) throws Exception {
    CrashedKernel k = boot(arch);
    try (Dump v = vmcore(k, k.memory(), "vmcore")) {
      List<LabeledRoot> roots = RootTableFinder.allRoots(v, v.vmcoreInfo(), Optional.empty());
      assertEquals(1, roots.size(), "a vmcore has no QEMU notes: the VMCOREINFO root");
      PagingContext ctx = roots.getFirst().paging();
      assertEquals(k.kernelPgd(), ctx.root());
      PgdVerdict intact = PgdVerifier.inspect(v.physicalMemory(), ctx, "kernel", v.vmcoreInfo(), OptionalLong.of(ctx.root()));
      assertTrue(intact.preserved(), intact.toText());
      assertTrue(intact.symbols().size() >= 4, intact.symbols().toString());
      SymbolCheck root = intact.symbols().stream().filter(c -> c.expected().isPresent()).findFirst().orElseThrow();
      assertEquals(k.kernelPgd(), root.physical().getAsLong(), "the root's own symbol maps to the root");
      String text = new PgdVerification(true, false, List.of(intact)).toText();
      assertTrue(text.contains("INTACT") && text.contains("needs a BEFORE image"), text);
    }

    SparseMemory broken = k.memory().copy();
    long stext = info(k).symbol("_stext").getAsLong();
    PagingContext ctx = RootTableFinder.explicit(broken, k.kernelPgd(), arch.pagingMode());
    WalkStep leaf = Vtop.translate(broken, ctx, List.of(stext)).results().getFirst().steps().getLast();
    write(broken, arch.pagingMode(), leaf.entryPhysical(), 0);
    try (Dump v = vmcore(k, broken, "broken")) {
      PagingContext c = RootTableFinder.allRoots(v, v.vmcoreInfo(), Optional.empty()).getFirst().paging();
      PgdVerdict bad = PgdVerifier.inspect(v.physicalMemory(), c, "kernel", v.vmcoreInfo(), OptionalLong.of(c.root()));
      assertFalse(bad.preserved(), bad.toText());
      assertTrue(bad.toText().contains("_stext 0x" + Long.toHexString(stext) + ": not mapped"), bad.toText());
    }
  }
}
