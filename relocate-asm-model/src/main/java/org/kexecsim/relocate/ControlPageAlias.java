package org.kexecsim.relocate;

import java.util.Set;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.FrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;

/**
 * set_memory_x() on __va(control page), which mainline does when the image is loaded
 * (arch/x86/kernel/machine_kexec_32.c, machine_kexec_prepare; 6.1's x86_64 calls
 * relocate_kernel in kernel text instead and needs no alias): the direct map is NX, and machine_kexec calls the relocation code
 * through that alias. Without NX (i386 without PAE) there is nothing to do. Like the
 * kernel's change_page_attr, it splits the 1 GiB / 2 MiB direct-map page around the control
 * page down to 4 KiB and clears XD in that one PTE. It happens at load time, long before the
 * crash, so it is part of the crashed kernel's tables, not damage done by the transition.
 */
final class ControlPageAlias {
  private ControlPageAlias() {}

  /** Returns the number of large pages split. */
  static int makeExecutable(CrashedKernel kernel, long controlPage, Set<Long> busy, long seed) {
    var host = kernel.kexecHost(seed);
    FrameAllocator frames = () -> {
      for (int tries = 0; tries < 1_000_000; tries++) {
        long pa = host.freePages().allocate(1, kernel.memory().ramMap().end());
        if (pa < 0) {
          break;
        }
        if (!busy.contains(pa) && !kernel.memory().mayBeNonZero(pa)) {
          return pa;
        }
      }
      throw new FrameAllocator.OutOfFramesException("no free page for set_memory_x's page-table split");
    };
    PagingMode mode = kernel.arch().pagingMode();
    long root = kernel.kernelPgd() & (mode == PagingMode.PAE ? ~0x1FL : ~0xFFFL);
    PageTableBuilder b = PageTableBuilder.onExisting(kernel.memory(), mode, root, frames);
    // set_memory_x() clears NX and nothing else: the alias stays writable, and 6.1's
    // relocate_kernel_32.S stores its saved state through it (page_list[VA_CONTROL_PAGE])
    long flags = PageTableEntry.PAGE_KERNEL_EXEC;
    b.map(kernel.directMapVirtual(controlPage), controlPage, 4096, flags, PageSize.SIZE_4K);
    return b.splits();
  }
}
