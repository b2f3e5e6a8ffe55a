package org.kexecsim.kernel;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * i386's memory model, FLATMEM (Debian's 686-pae config; VMCOREINFO has SYMBOL(mem_map) and
 * SYMBOL(contig_page_data), no mem_section): one array of struct pages, {@code mem_map}, for
 * every pfn from 0 to the node's end rounded up to MAX_ORDER_NR_PAGES (1024), highmem included,
 * allocated in one piece by memblock in lowmem (6.1 mm/page_alloc.c alloc_node_mem_map:
 * memmap_alloc(size, SMP_CACHE_BYTES, MEMBLOCK_LOW_LIMIT, nid, false), top-down below
 * memblock.current_limit, which arch/x86/kernel/setup.c sets to the end of the low direct
 * mapping). When that allocation fails the kernel panics there ("Failed to allocate %ld bytes
 * for node %d memory map"). setup_arch reserves crashkernel= before paging_init builds the
 * memmap, so the crash region is already taken: 686-pae at 64 GiB needs 640 MiB of struct pages,
 * more than lowmem holds in one piece beside the kernel and a 256 MiB crash region, and such a
 * machine is refused the same way ({@link ImpossibleLayoutException}). A non-PAE kernel uses RAM up to 4 GiB only
 * (arch/x86/mm/init_32.c highmem_pfn_init trims max_pfn to MAX_NONPAE_PFN), so its array stops
 * there.
 */
public final class FlatMemMap implements StructPageArray {
  /** MAX_ORDER_NR_PAGES in 6.1: 1 << (MAX_ORDER - 1). */
  static final long MAX_ORDER_NR_PAGES = 1L << (StructPage.MAX_ORDER - 1);
  /** MAX_NONPAE_PFN, 1 << 20: the 4 GiB a non-PAE kernel uses (arch/x86/mm/init_32.c). */
  static final long MAX_NONPAE_PFN = 1L << 20;

  private final long base;
  private final long pages;

  private FlatMemMap(long base, long pages) {
    this.base = base;
    this.pages = pages;
  }

  /** Places mem_map top-down in lowmem outside {@code avoid}, as alloc_node_mem_map does. */
  public static FlatMemMap place(Arch arch, RamMap ram, List<PhysicalRange> avoid) {
    long endPfn = 0;
    for (RamRange r : ram.ranges()) {
      if (r.type() == RamRange.Type.USABLE) {
        endPfn = Math.max(endPfn, (r.last() + 1) >>> 12);
      }
    }
    if (arch == Arch.I386) {
      endPfn = Math.min(endPfn, MAX_NONPAE_PFN);
    }
    long pages = (endPfn + MAX_ORDER_NR_PAGES - 1) & -MAX_ORDER_NR_PAGES;
    long bytes = pages * StructPage.I386.size();
    try {
      // Page-aligned where memblock only needs SMP_CACHE_BYTES: the array then owns whole frames.
      long at = Memblock.topDown(ram, avoid, bytes, 4096, arch.lowmemLimit(), "struct pages (mem_map)");
      return new FlatMemMap(at, pages);
    } catch (ImpossibleLayoutException e) {
      throw new ImpossibleLayoutException(String.format(
          "a %s kernel cannot boot on %s: FLATMEM's mem_map for %d pages is %d MiB, which lowmem (%d MiB, less the kernel"
              + " and the crash region) cannot hold in one piece; Linux panics in alloc_node_mem_map"
              + " (mm/page_alloc.c: \"Failed to allocate ... memory map\")",
          arch == Arch.PAE ? "686-pae" : "i386", ram, pages, bytes >> 20, arch.lowmemLimit() >> 20));
    }
  }

  /** Physical address of mem_map[0]; its direct-map address is the value of the mem_map variable. */
  public long base() {
    return base;
  }

  /** How many struct pages the array holds (pfn 0 up to this). */
  public long pages() {
    return pages;
  }

  @Override
  public long structPagePhysical(long pfn) {
    return pfn >= 0 && pfn < pages ? base + pfn * StructPage.I386.size() : -1;
  }

  @Override
  public List<PhysicalRange> ranges() {
    return new ArrayList<>(List.of(new PhysicalRange(base, pages * StructPage.I386.size())));
  }

  @Override
  public boolean contains(long physical) {
    return Long.compareUnsigned(physical - base, pages * StructPage.I386.size()) < 0;
  }

  @Override
  public StructPage layout() {
    return StructPage.I386;
  }
}
