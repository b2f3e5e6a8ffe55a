package org.kexecsim.transition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.pagetable.RootCheck;

/** The designs' shapes and the conflicts argued about in May 2006, on concrete layouts. */
class TransitionDesignTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  private static PrepareReport run(Arch arch, TransitionDesign d, long ram, ImageType type) {
    return Preparation.run(PrepareRequest.of(arch, d, RamMap.ofSize(ram), "128M", type, 7));
  }

  private static long count(PrepareReport r, Conflict.Kind kind) {
    return r.conflicts().stream().filter(c -> c.kind() == kind).count();
  }

  private static List<AllocatedPage> rolesStartingWith(PrepareReport r, String prefix) {
    return r.pages().stream().filter(p -> p.role().startsWith(prefix)).toList();
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void pageTableAHasThreeFiveOrSevenControlPages(Arch arch) {
    PrepareReport r = run(arch, PageTableADesign.INSTANCE, 2 * GIB, ImageType.CRASH);
    int expected = switch (arch) {
      case I386 -> 3;
      case PAE -> 5;
      case X86_64 -> 7;
    };
    List<AllocatedPage> a = rolesStartingWith(r, "page_table_a");
    assertEquals(expected, a.size());
    assertTrue(a.stream().allMatch(p -> p.origin() == PageOrigin.CONTROL_PAGE && r.crashRegion().orElseThrow().contains(p.physical())));
    assertEquals(arch == Arch.X86_64, !rolesStartingWith(r, "page_table_b").isEmpty(), "page_table_b only on x86_64");
  }

  @Test
  void paeTopLevelEntriesArePresentOnly() {
    for (TransitionDesign d : List.of(PageTableADesign.INSTANCE, MainlineDesign.INSTANCE, SingleTableDesign.INSTANCE)) {
      CrashedKernel k = KernelBoot.boot(Arch.PAE, RamMap.ofSize(2 * GIB), Optional.of("128M"), 3);
      PrepareReport r = Preparation.run(k, PrepareRequest.of(Arch.PAE, d, RamMap.ofSize(2 * GIB), "128M", ImageType.CRASH, 3));
      for (int i = 0; i < 4; i++) {
        long pdpte = k.memory().readU64(r.switchRoot() + 8L * i);
        if ((pdpte & PageTableEntry.P) != 0) {
          assertEquals(PageTableEntry.P, pdpte & 0xFFF, d.cliName() + " PDPTE " + i);
        }
      }
      assertTrue(r.mappings().stream().noneMatch(m -> m.outcome().startsWith("MOV CR3")), d.cliName());
    }
  }

  @Test
  void theV1PdpteWithKernpgTableMakesMovCr3Fault() {
    // May 2006 V1 wrote _KERNPG_TABLE (P|RW|A|D) into page_table_a's PDPTEs: #GP on real CPUs
    CrashedKernel k = KernelBoot.boot(Arch.PAE, RamMap.ofSize(2 * GIB), Optional.of("128M"), 3);
    PrepareReport r = Preparation.run(k, PrepareRequest.of(Arch.PAE, PageTableADesign.INSTANCE, RamMap.ofSize(2 * GIB),
        "128M", ImageType.CRASH, 3));
    RequiredMapping again = new RequiredMapping("V1", r.switchRoot(), r.switchVirtual(), r.controlPage());
    assertTrue(Preparation.check(k.memory(), Arch.PAE, k.cpu(), again).executable(), "V2 loads");
    for (int i = 0; i < 4; i++) {
      long pdpte = k.memory().readU64(r.switchRoot() + 8L * i);
      if ((pdpte & PageTableEntry.P) != 0) {
        k.memory().writeU64(r.switchRoot() + 8L * i, pdpte | PageTableEntry.KERNPG_TABLE);
      }
    }
    MappingCheck v1 = Preparation.check(k.memory(), Arch.PAE, k.cpu(), again);
    assertFalse(v1.executable());
    assertTrue(v1.outcome().startsWith("MOV CR3 raises #GP"), v1.outcome());
  }

  @ParameterizedTest
  @EnumSource(value = Arch.class, names = {"I386", "PAE"})
  void singleTableSplitsALargePageWhenTheSwitchVaIsInsideTheIdentityRange(Arch arch) {
    // 2 GiB: 0xc1xxxxxx is above the identity range, no split. 4 GiB: inside it.
    PrepareReport small = run(arch, SingleTableDesign.INSTANCE, 2 * GIB, ImageType.CRASH);
    PrepareReport large = run(arch, SingleTableDesign.INSTANCE, 4 * GIB, ImageType.CRASH);
    assertEquals(0, small.splits());
    assertEquals(0, count(small, Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE));
    assertEquals(1, large.splits());
    assertEquals(1, count(large, Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE));
    assertTrue(large.controlPageExecutableAtBothAddresses(), large.toText());
    assertEquals(1, rolesStartingWith(large, "extra").size(), "the split costs one page table");
    // Without the split the VA needs its own page table (and, with PAE, a pmd under PDPTE 3).
    assertEquals(arch == Arch.PAE ? 2 : 1, rolesStartingWith(small, "extra").size());
  }

  @Test
  void singleTableWithALowSwitchVaRedirectsThatIdentityPageForTheCopy() {
    // Magnus Damm's case: the code mapped at a low address; pick the kernel segment's destination
    PrepareRequest req = PrepareRequest.of(Arch.X86_64, SingleTableDesign.INSTANCE, RamMap.ofSize(2 * GIB), "128M",
        ImageType.NORMAL, 7).withSwitchVirtual(16 * MIB);
    PrepareReport r = Preparation.run(req);
    assertEquals(1, r.splits());
    assertTrue(r.controlPageExecutableAtBothAddresses(), r.toText());
    assertTrue(r.conflicts().stream().anyMatch(c -> c.sentence().contains("copy loop reaches page 0x1000000")), r.toText());
  }

  /**
   * 6.1's machine_kexec_64.c: an 8 KiB control block, the PGD in its first page and the code in
   * the second; the transition mapping is relocate_kernel's kernel-text VA onto the code.
   */
  @Test
  void mainlineX86_64LaysTheControlBlockOutAs61Does() {
    org.kexecsim.kernel.CrashedKernel k = org.kexecsim.kernel.KernelBoot.boot(Arch.X86_64, RamMap.ofSize(4 * GIB),
        java.util.Optional.of("128M"), 7);
    PrepareReport r = Preparation.run(k, PrepareRequest.of(Arch.X86_64, MainlineDesign.INSTANCE, RamMap.ofSize(4 * GIB),
        "128M", ImageType.NORMAL, 7));
    assertEquals(r.switchRoot() + 4096, r.controlPage(), "code page = control_code_page + PAGE_SIZE, after the PGD");
    assertEquals(k.relocateKernelVirtual(), r.switchVirtual(), "machine_kexec calls relocate_kernel in kernel text");
    assertTrue(r.controlPageExecutableAtBothAddresses(), r.toText());
    for (int i = 0; i < 4096; i += 8) {
      assertEquals(k.memory().readU64(k.relocateKernelPhysical() + i), k.memory().readU64(r.controlPage() + i),
          "the code page holds relocate_kernel's bytes");
    }
  }

  @Test
  void mainlineX86_64HasNoConflictAtTheRealVa() {
    PrepareReport r = run(Arch.X86_64, MainlineDesign.INSTANCE, 8 * GIB, ImageType.CRASH);
    assertTrue(r.conflicts().isEmpty(), r.toText());
    assertEquals(3, r.pages().stream().filter(p -> p.origin() == PageOrigin.KERNEL_PAGE).count(),
        "init_transition_pgtable: pud, pmd, pte from get_zeroed_page");
    assertEquals(3, r.framesChangedOutsideCrashRegion(), "those three pages are the only writes outside the region");
  }

  @Test
  void mainlineX86_64WithALowVaWritesThroughALargeIdentityLeaf() {
    PrepareRequest req = PrepareRequest.of(Arch.X86_64, MainlineDesign.INSTANCE, RamMap.ofSize(2 * GIB), "128M",
        ImageType.CRASH, 7).withSwitchVirtual(0x4000_0000L + 0x20_0000L);
    PrepareReport r = Preparation.run(req);
    assertEquals(1, count(r, Conflict.Kind.WROTE_THROUGH_LARGE_LEAF), r.toText());
    assertEquals(1, count(r, Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE), r.toText());
  }

  @ParameterizedTest
  @EnumSource(value = Arch.class, names = {"I386", "PAE"})
  void aControlPageWhosePaIsTheSwitchVaSharesOneEntry(Arch arch) {
    // Eric Biederman's i386 conflict: possible only with the control page above TASK_SIZE
    CrashedKernel k = KernelBoot.boot(arch, RamMap.ofSize(4 * GIB), Optional.of("128M"), 7);
    long va = k.relocateKernelVirtual();
    PrepareRequest req = PrepareRequest.of(arch, PageTableADesign.INSTANCE, RamMap.ofSize(4 * GIB), "128M",
        ImageType.NORMAL, 7).withControlPage(va);
    PrepareReport r = Preparation.run(k, req);
    assertEquals(1, count(r, Conflict.Kind.SWITCH_VA_IS_CONTROL_PA), r.toText());
    assertTrue(r.controlPageExecutableAtBothAddresses(), r.toText());
    long spare = r.pages().stream().filter(p -> !p.used()).count();
    assertEquals(arch == Arch.PAE ? 2 : 1, spare, "the second mapping needed no table of its own");
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void legacyChangesATranslationOfTheOldPgd(Arch arch) {
    PrepareReport r = run(arch, LegacyDesign.INSTANCE, 2 * GIB, ImageType.CRASH);
    assertTrue(r.wroteOldCr3(), r.toText());
    assertEquals(1, r.oldCr3().changedPages().size(), "exactly the live pgd");
    assertEquals(r.oldCr3().root() & ~0xFFFL, r.oldCr3().changedPages().getFirst());
    assertTrue(r.oldCr3().translationsChanged() > 0);
    assertTrue(r.otherRoots().stream().allMatch(RootCheck::preserved), "only the current pgd is touched");
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void mainlineI386TablesAreKernelPagesOutsideTheCrashRegion(Arch arch) {
    PrepareReport r = run(arch, MainlineDesign.INSTANCE, 2 * GIB, ImageType.CRASH);
    if (arch == Arch.X86_64) {
      assertTrue(r.pages().stream().filter(p -> p.role().startsWith("identity")).allMatch(p -> p.origin() == PageOrigin.CONTROL_PAGE));
    } else {
      assertEquals(arch == Arch.PAE ? 5 : 3, r.pages().size());
      assertFalse(r.pages().stream().anyMatch(p -> r.crashRegion().orElseThrow().contains(p.physical())));
      assertEquals(r.pages().size(), r.framesChangedOutsideCrashRegion());
    }
  }
}
