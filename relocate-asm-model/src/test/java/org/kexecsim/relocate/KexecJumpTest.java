package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.TransitionDesign;

/**
 * preserve_context (kexec jump, relocate_kernel_{32,64}.S in 6.1): the routine swaps the pages
 * through the swap page, calls the new kernel, which jumps back; the routine swaps them back
 * and returns to machine_kexec, which later jumps to the new kernel's re-entry point.
 */
class KexecJumpTest {
  private static final long GIB = 1L << 30;

  static TransitionResult jump(Arch arch) {
    return TransitionRunner.run(TransitionRequest.of(arch, TransitionDesign.fromCliName("mainline"),
        RamMap.ofSize(GIB), "128M", ImageType.NORMAL, 11).withPreserveContext());
  }

  static String explain(TransitionResult r) {
    StringBuilder sb = new StringBuilder(String.join("\n", r.steps()));
    r.problems().forEach(p -> sb.append("\n  problem: ").append(p));
    r.lastTrace().forEach(t -> sb.append("\n  ").append(t));
    return sb.toString();
  }

  /** Jump, return, jump again: after the return every page is where it was at the crash. */
  @ParameterizedTest
  @EnumSource(value = Arch.class, names = {"X86_64", "I386"})
  void jumpReturnAndJumpAgainLeaveEveryPageWhereItStarted(Arch arch) {
    TransitionResult r = jump(arch);
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> explain(r));
    TransitionRunner.RoundTrip trip = r.roundTrip().orElseThrow();
    assertTrue(trip.returned(), () -> explain(r));
    assertTrue(trip.problems().isEmpty(), () -> String.join("\n", trip.problems()));
    assertEquals(r.pagesToCopy(), trip.destinations(), "every destination page was compared after the return");
    assertEquals(r.pagesToCopy(), trip.sources(), "every source page was compared after the return");
    assertTrue(trip.pagesCompared() > trip.destinations() + trip.sources(), "the rest of memory was compared too");
    assertEquals(r.pagesToCopy(), r.pagesCopiedIntact(), "after the second jump the new kernel's pages are in place again");
    assertTrue(r.entryRecord().isPresent());
  }

  /**
   * 6.1's relocate_kernel_32.S, on the way back, loads CR3 with the pgd and sets CR0.PG while
   * CR4 is still the zero identity_mapped wrote when has_pae; virtual_mapped restores CR4 only
   * afterwards. With a PAE kernel the pgd is a PDPT, which 32-bit paging reads as a page
   * directory: the next fetch finds no PDE, and with the IDT zapped that is a triple fault.
   * Our routine does what the kernel does, so it shows the same.
   */
  @org.junit.jupiter.api.Test
  void paeKexecJumpCannotComeBackBecausePagingReturnsWithoutCr4Pae() {
    TransitionResult r = jump(Arch.PAE);
    assertEquals(TransitionOutcome.TRIPLE_FAULT, r.outcome(), () -> explain(r));
    assertTrue(!r.roundTrip().orElseThrow().returned());
    var pf = r.exceptions().getFirst();
    assertEquals(org.kexecsim.mmu.ExceptionVector.PF, pf.vector());
    assertEquals(0, pf.errorCode() & org.kexecsim.mmu.PageFaultErrorCode.P, "not present: the PDPT read as a page directory");
    assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("reached the new kernel's entry")), "the first jump did reach the new kernel");
  }
}
