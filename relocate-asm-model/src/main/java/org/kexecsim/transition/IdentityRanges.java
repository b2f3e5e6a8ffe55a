package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;

import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;

/** The identity maps the designs build, with the kernel's choice of page sizes. */
final class IdentityRanges {
  private IdentityRanges() {}

  private static final long MB2 = 1L << 21;
  private static final long GB1 = 1L << 30;

  /** end_pfn &lt;&lt; PAGE_SHIFT: the end of the highest usable RAM range. */
  static long ramEnd(RamMap ram) {
    long end = 0;
    for (RamRange r : ram.ranges()) {
      if (r.type() == RamRange.Type.USABLE) {
        end = Math.max(end, r.end());
      }
    }
    return end & ~0xFFFL;
  }

  /**
   * arch/x86/mm/ident_map.c kernel_ident_mapping_init(start, end) with direct_gbpages: a 1 GiB
   * leaf where a whole aligned GiB is asked for and the slot is empty, 2 MiB leaves elsewhere
   * ({@code addr &= PMD_MASK}: the edges over-map to 2 MiB), never overwriting a present entry.
   */
  static void kernelIdentMapping(PageTableBuilder b, long start, long end, long leafFlags) {
    if (Long.compareUnsigned(end, start) <= 0) {
      return;
    }
    long g0 = (start + GB1 - 1) & -GB1;
    long g1 = end & -GB1;
    long s2 = start & -MB2;
    long e2 = (end + MB2 - 1) & -MB2;
    if (g1 > g0) {
      b.map(g0, g0, g1 - g0, leafFlags, KERNPG_TABLE, PageSize.SIZE_1G, Overlap.KEEP);
      if (g0 > s2) {
        b.map(s2, s2, g0 - s2, leafFlags, KERNPG_TABLE, PageSize.SIZE_2M, Overlap.KEEP);
      }
      if (e2 > g1) {
        b.map(g1, g1, e2 - g1, leafFlags, KERNPG_TABLE, PageSize.SIZE_2M, Overlap.KEEP);
      }
    } else {
      b.map(s2, s2, e2 - s2, leafFlags, KERNPG_TABLE, PageSize.SIZE_2M, Overlap.KEEP);
    }
  }
}
