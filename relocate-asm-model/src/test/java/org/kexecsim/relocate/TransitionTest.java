package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.mmu.PageFaultErrorCode;
import org.kexecsim.transition.TransitionDesign;

/** The crash transition, run instruction by instruction, for every design and arch. */
class TransitionTest {
  private static final long GIB = 1L << 30;

  static List<Arguments> archesAndDesigns() {
    List<Arguments> out = new ArrayList<>();
    for (Arch arch : Arch.values()) {
      for (TransitionDesign d : TransitionDesign.all()) {
        out.add(Arguments.of(arch, d));
      }
    }
    return out;
  }

  private static TransitionResult run(Arch arch, TransitionDesign d, ImageType type) {
    return TransitionRunner.run(TransitionRequest.of(arch, d, RamMap.ofSize(arch == Arch.X86_64 ? 4 * GIB : GIB), "128M", type, 7));
  }

  private static String explain(TransitionResult r) {
    StringBuilder sb = new StringBuilder(String.join("\n", r.steps()));
    r.problems().forEach(p -> sb.append("\n  problem: ").append(p));
    r.lastTrace().forEach(t -> sb.append("\n  ").append(t));
    return sb.toString();
  }

  @ParameterizedTest(name = "kdump {0} {1}")
  @MethodSource("archesAndDesigns")
  void kdumpReachesTheNewKernelAndOnlyLegacyDamagesTheOldPgd(Arch arch, TransitionDesign d) {
    TransitionResult r = run(arch, d, ImageType.CRASH);
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> explain(r));
    NewKernelEntry.EntryRecord e = r.entryRecord().orElseThrow();
    assertEquals(arch.is64Bit(), e.pagingOn(), "x86_64 enters with paging on, i386 with paging off");
    assertEquals(arch.is64Bit() ? 64 : 32, e.width());
    assertEquals(0, r.pagesToCopy(), "kdump copies nothing: the image was loaded in place");
    assertEquals(!d.cliName().equals("legacy"), r.oldPgd().preserved(),
        () -> "old pgd verdict, changed pages " + r.oldPgd().changedPages());
  }

  @ParameterizedTest(name = "kexec {0} {1}")
  @MethodSource("archesAndDesigns")
  void normalKexecCopiesEverySourcePageToItsDestination(Arch arch, TransitionDesign d) {
    TransitionResult r = run(arch, d, ImageType.NORMAL);
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> explain(r));
    assertTrue(r.pagesToCopy() > 100, "the image has pages to move: " + r.pagesToCopy());
    assertEquals(r.pagesToCopy(), r.pagesCopiedIntact(), () -> String.join("\n", r.problems()));
  }

  @Test
  void routinesFitTheirControlPage() {
    for (Arch arch : new Arch[] {Arch.I386, Arch.X86_64}) {
      for (TransitionDesign d : TransitionDesign.all()) {
        RelocateRoutine r = RelocateRoutine.of(d.cliName(), arch);
        assertTrue(r.size() > 64 && r.size() <= RelocateRoutine.CONTROL_PAGE_BYTES, d.cliName() + " " + r.size());
      }
    }
  }

  /**
   * The rule the 2006 review insisted on: the table loaded into CR3 must map the code that loads
   * it. page_table_b alone does not map the routine's kernel VA, so on a CPU that flushes
   * everything on a MOV to CR3 (QEMU TCG) the next fetch faults; the crashed kernel's IDT is not
   * mapped there either, so delivery faults too: #PF, #DF, shutdown.
   */
  @Test
  void switchingToTablesThatDoNotMapTheCodeTripleFaultsUnderQemu() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("page-table-a"),
        RamMap.ofSize(4 * GIB), "128M", ImageType.CRASH, 7).withSwitchToIdentityTable()
        .withConditions(CrashConditions.NONE.withCpuModel(CpuModel.QEMU)));
    assertEquals(TransitionOutcome.TRIPLE_FAULT, r.outcome(), () -> explain(r));
    ExceptionEvent first = r.exceptions().getFirst();
    assertEquals(ExceptionVector.PF, first.vector());
    long cr3Load = r.prepare().switchVirtual() + 2 + 1; // pushq $0 (2 bytes), popfq (1)
    assertEquals(cr3Load + 3, first.cr2(), "the fetch right after mov %rcx,%cr3 faults");
    assertEquals(ExceptionVector.DF, r.exceptions().stream().filter(e -> e.vector() == ExceptionVector.DF).findFirst().orElseThrow().vector());
  }

  /**
   * The same mistake on hardware: the kernel text is mapped global (__PAGE_KERNEL_EXEC has G) and
   * CR4.PGE is set, so the routine's translation survives the MOV to CR3 (SDM §4.10.4.1) and the
   * mistake is hidden, as Kirill Shutemov noted of relocate_kernel before 6.14 cleared PGE
   * (d144d8a65286). The run says which fetch relied on the stale entry.
   */
  @Test
  void onHardwareAGlobalTlbEntryHidesTheMissingMapping() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("page-table-a"),
        RamMap.ofSize(4 * GIB), "128M", ImageType.CRASH, 7).withSwitchToIdentityTable());
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> explain(r));
    var stale = r.staleTranslations().getFirst();
    long cr3Load = r.prepare().switchVirtual() + 2 + 1;
    assertEquals(cr3Load + 3, stale.linear(), "the fetch after the CR3 load used the kernel text's global entry");
    assertEquals(r.prepare().copyRoot().getAsLong(), stale.root());
    assertTrue(stale.fresh().startsWith("would fault"), stale.fresh());
    assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("stale TLB entry used")), () -> explain(r));
  }

  /**
   * V1 of the 2006 patch wrote _KERNPG_TABLE into PAE PDPTEs, and its machine_kexec still zapped
   * the IDT in C (V2's changelog: "Moved segment handling code into the assembly routines"): on
   * hardware the CR3 load takes #GP(0), which a zero-limit IDT turns into a triple fault.
   */
  @Test
  void v1PaePdptesTripleFaultOnHardware() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.PAE, TransitionDesign.fromCliName("page-table-a"),
        RamMap.ofSize(GIB), "128M", ImageType.CRASH, 7).withKernpgTablePdptes());
    assertEquals(TransitionOutcome.TRIPLE_FAULT, r.outcome(), () -> explain(r));
    ExceptionEvent first = r.exceptions().getFirst();
    assertEquals(ExceptionVector.GP, first.vector());
    assertEquals(0, first.errorCode());
    assertTrue(first.rule().contains("PDPTE"), first.rule());
  }

  /** "only triggering on real hardware" (V2 cover letter): QEMU never checks the PDPTE, so V1 boots. */
  @Test
  void v1PaePdptesBootUnderQemu() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.PAE, TransitionDesign.fromCliName("page-table-a"),
        RamMap.ofSize(GIB), "128M", ImageType.CRASH, 7).withKernpgTablePdptes()
        .withConditions(CrashConditions.NONE.withCpuModel(CpuModel.QEMU)));
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> explain(r));
    assertTrue(r.exceptions().isEmpty(), () -> explain(r));
  }

  /**
   * Eric Biederman's ".align" point: V2's relocate_kernel.S gained {@code .align (1 << PAGE_SHIFT)}
   * because page_table_a maps the page holding relocate_new_kernel onto the control page, which
   * memcpy() filled from its start. Without it, the fetch after the CR3 load reads the control page
   * at the routine's offset, past the copied code: under QEMU (everything flushed) that breaks the
   * run; on hardware the kernel text's global TLB entry keeps feeding the right bytes and hides it.
   */
  @Test
  void aRoutineOffItsPageStartBreaksUnderQemuAndIsHiddenByTheTlbOnHardware() {
    TransitionRequest req = TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("page-table-a"),
        RamMap.ofSize(GIB), "128M", ImageType.CRASH, 7);
    CrashConditions offset = CrashConditions.NONE.withRoutineOffset(0x800);
    TransitionResult qemu = TransitionRunner.run(req.withConditions(offset.withCpuModel(CpuModel.QEMU)));
    assertFalse(qemu.outcome().success(), () -> explain(qemu));
    long cr3Load = qemu.kernel().relocateKernelVirtual() + 0x800 + 2 + 1; // pushq $0, popfq
    assertTrue(qemu.instructions() > 3, () -> explain(qemu));
    TransitionResult hardware = TransitionRunner.run(req.withConditions(offset));
    assertEquals(TransitionOutcome.ENTERED, hardware.outcome(), () -> explain(hardware));
    var stale = hardware.staleTranslations().getFirst();
    assertEquals(cr3Load + 3, stale.linear(), "the fetch after the CR3 load used the kernel text's global entry");
    assertTrue(stale.fresh().startsWith("would give 0x" + Long.toHexString(hardware.prepare().controlPage())), stale.fresh());
    // aligned, the same design runs on both CPUs
    assertEquals(TransitionOutcome.ENTERED, TransitionRunner.run(req.withConditions(CrashConditions.NONE.withCpuModel(CpuModel.QEMU))).outcome());
  }

  /**
   * Mainline i386 calls the control page copy through __va(control page) (machine_kexec_32.c);
   * with PAE the direct map is NX, and without set_memory_x the first fetch faults; the IDT is
   * already zapped, so the #PF ends in a triple fault.
   */
  @Test
  void jumpingThroughAnNxDirectMapAliasFaultsWithInstructionFetchSet() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.PAE, TransitionDesign.fromCliName("mainline"),
        RamMap.ofSize(2 * GIB), "128M", ImageType.CRASH, 7).withoutSetMemoryX());
    assertEquals(TransitionOutcome.TRIPLE_FAULT, r.outcome(), () -> explain(r));
    ExceptionEvent first = r.exceptions().getFirst();
    assertEquals(ExceptionVector.PF, first.vector());
    assertEquals(PageFaultErrorCode.P | PageFaultErrorCode.ID, first.errorCode());
    assertEquals(r.prepare().switchVirtual(), first.cr2());
  }
}
