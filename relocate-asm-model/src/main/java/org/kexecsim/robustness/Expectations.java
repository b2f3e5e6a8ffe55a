package org.kexecsim.robustness;

import org.kexecsim.transition.LegacyDesign;
import org.kexecsim.transition.MainlineDesign;
import org.kexecsim.transition.PageTableADesign;
import org.kexecsim.transition.SingleTableDesign;
import org.kexecsim.mmu.CpuModel;

/**
 * The behaviour each cell should show, from the sources: which era's machine_kexec() loaded
 * segments from the crashed GDT, what the SDM says an NMI finds, what purgatory checks. One
 * place, read by the matrix's verdict and asserted cell by cell in its test.
 */
public final class Expectations {
  private Expectations() {}

  static final String V1_PDPTE = "V2 cover letter (seed 004, [PATCH 00/03] V2): \"Fixed a i386/PAE page table problem "
      + "only triggering on real hardware\"; SDM §4.4.1 Table 4-8: RW/A/D are reserved in a PDPTE, #GP(0) at MOV CR3";
  static final String SEGMENTS_IN_C = "machine_kexec() runs load_segments() from the crashed GDT before zapping it: "
      + "2.6.16 arch/{i386,x86_64}/kernel/machine_kexec.c, 6.1 arch/x86/kernel/machine_kexec_{32,64}.c; "
      + "V1 kept that C side (V2: \"Moved segment handling code into the assembly routines\")";
  static final String OWN_SEGMENTS = "the routine never reads the crashed GDT: V2 page_table_a loads its own "
      + "(seed 004, [PATCH 02/03] V2 i386, relocate_kernel.S), single-table loads no segment register";
  static final String IDT_UNREAD = "SDM §6.10: the IDT is read only to deliver an event; a clean run raises none";
  static final String ROUTINE_UNMAPPED = "SDM §4.7, §4.10.2: with a cold TLB (the model's "
      + "CPU starts the tail with none; a warm global entry for kernel text could hide the damage, as with "
      + "--routine-offset) the call's first fetch walks the crashed kernel's tables; a cleared entry is a #PF, "
      + "delivered where the crashed IDT or a zero-limit one sends it";
  static final String PURGATORY = "kexec-tools purgatory/purgatory.c verify_sha256_digest (sha256_regions, "
      + "kexec/kexec.c update_purgatory): a changed segment is refused, not booted";
  static final String NMI_LIVE_IDT = "SDM §6.7.1: IF=0 does not mask an NMI; through the crashed kernel's intact IDT "
      + "its handler (exc_nmi) returns";
  static final String NMI_ZERO_IDT = "SDM §6.10, §6.15: vector 2 lies beyond IDTR.limit 0: #GP, then #DF, then "
      + "shutdown; the crash path only narrows the window (arch/x86/kernel/crash.c: other CPUs stopped, APIC off)";
  static final String NMI_ZEROED_GATE = "SDM §6.12.1, §6.15: a zeroed gate is not an interrupt gate: #GP through the "
      + "same zeroed IDT, #DF, shutdown";

  /** Whether this design's machine_kexec() loads segments from the crashed GDT (and zaps the tables) in C. */
  static boolean segmentsInC(RobustnessRow row) {
    return switch (row.design()) {
      case LegacyDesign d -> true;
      case MainlineDesign d -> true;
      case PageTableADesign d -> row.v1(); // V2 "moved segment handling code into the assembly routines"
      case SingleTableDesign d -> false;
    };
  }

  public static Expectation of(RobustnessRow row, RobustnessCase c, CpuModel model) {
    if (row.v1() && model == CpuModel.HARDWARE) {
      return new Expectation(false, V1_PDPTE);
    }
    return switch (c) {
      case CLEAN -> new Expectation(true, row.v1() ? "QEMU does not check PDPTEs (target/i386/helper.c "
          + "cpu_x86_update_cr3); " + V1_PDPTE : "every design boots a healthy crashed kernel (the 2006 thread's premise)");
      case GDT_ZEROED, GDT_POISON -> segmentsInC(row) ? new Expectation(false, SEGMENTS_IN_C) : new Expectation(true, OWN_SEGMENTS);
      case IDT_ZEROED -> new Expectation(true, IDT_UNREAD);
      case ROUTINE_PTE -> new Expectation(false, ROUTINE_UNMAPPED);
      case CRASH_IMAGE -> new Expectation(true, PURGATORY);
      case NMI_FIRST -> new Expectation(true, NMI_LIVE_IDT);
      case NMI_IN_WINDOW -> new Expectation(false, NMI_ZERO_IDT);
      case IDT_ZEROED_NMI_FIRST -> new Expectation(false, NMI_ZEROED_GATE);
    };
  }
}
