package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.KexecException;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.TransitionDesign;

class XenTransitionTest {
  private static TransitionRequest request(Arch arch, String design, long ram) {
    return TransitionRequest.of(arch, TransitionDesign.fromCliName(design), RamMap.ofSize(ram), "256M", ImageType.CRASH, 1);
  }

  @ParameterizedTest
  @EnumSource(names = {"X86_64", "PAE"})
  void pageTableAReachesTheCaptureKernelFromTheHypervisorWithDom0sPgdIntact(Arch arch) {
    XenTransition.Result x = XenTransition.run(request(arch, "page-table-a", 2L << 30));
    TransitionResult r = x.transition();
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), String.join("\n", r.steps()) + "\n" + r.problems());
    assertTrue(r.oldPgd().preserved(), r.oldPgd().toString());
    // the routine was entered at the hypervisor's VA, not dom0's relocate_kernel
    long hv = x.load().controlVirtual();
    assertEquals(hv, r.prepare().switchVirtual());
    assertNotEquals(r.kernel().relocateKernelVirtual(), hv);
    assertTrue(Long.compareUnsigned(hv, x.xen().windowVirtual()) >= 0
        && Long.compareUnsigned(hv, x.xen().windowVirtual() + (2 << 20)) < 0);
    // both mappings the hypervisor rewrote hold, and the entry lies in Xen's crash region
    assertTrue(r.prepare().mappings().stream().allMatch(m -> m.executable()), r.prepare().mappings().toString());
    assertTrue(r.kernel().crashRegion().orElseThrow().contains(r.prepare().entry()));
    // the hypervisor overwrote what dom0's prepare filled in: page_table_a no longer maps dom0's VA,
    // and page_list pairs each table page's machine address with a VA in the hypervisor's window
    var state = org.kexecsim.mmu.LinuxControl.of(arch.pagingMode())
        .load(r.prepare().switchRoot(), r.pre(), r.kernel().cpu()).orThrow(e -> new IllegalStateException(e.toString()));
    var dom0Va = org.kexecsim.mmu.PageWalker.translate(r.pre(), state, r.kernel().relocateKernelVirtual(),
        org.kexecsim.mmu.Access.FETCH);
    assertTrue(dom0Va instanceof org.kexecsim.mmu.Translation.Faulted, dom0Va.toString());
    long[] list = x.load().pageList();
    assertEquals(r.prepare().switchRoot(), list[2]);
    for (int k = 3; k < 2 + 2 * x.load().tablesRewritten(); k += 2) {
      assertTrue(Long.compareUnsigned(list[k] - x.xen().windowVirtual(), 2 << 20) < 0, Long.toHexString(list[k]));
    }
    // dom0's CR3 is a machine address that is not its pseudo-physical one
    assertNotEquals(x.xen().dom0().registers().cr3(), r.kernel().registers().cr3());
  }

  /** A PAE CR3 holds 32 bits (SDM §4.4.1): with 4 GiB of dom0 the machine is larger, dom0's PDPT must still be low. */
  @Test
  void paeDom0OfFourGigabytesRunsWithItsPdptBelowFourGigabytes() {
    XenTransition.Result x = XenTransition.run(request(Arch.PAE, "page-table-a", 4L << 30));
    assertTrue(x.xen().machine().ramMap().end() > 1L << 32);
    assertTrue(x.transition().kernel().registers().cr3() < 1L << 32);
    assertEquals(TransitionOutcome.ENTERED, x.transition().outcome(), String.join("\n", x.transition().steps()));
    assertTrue(x.transition().oldPgd().preserved());
  }

  @Test
  void singleTableDoesNotFitPageListOnALargeMachine() {
    var e = assertThrows(KexecException.class, () -> XenTransition.run(request(Arch.X86_64, "single-table", 4L << 30)));
    assertTrue(e.getMessage().contains("page_list has 17 slots"), e.getMessage());
  }

  @Test
  void normalImagesAreRefused() {
    assertThrows(org.kexecsim.kimage.ImpossibleLayoutException.class, () -> XenTransition.run(
        TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("page-table-a"), RamMap.ofSize(1L << 30), null,
            ImageType.NORMAL, 1)));
  }
}
