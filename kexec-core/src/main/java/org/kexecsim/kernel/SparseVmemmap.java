package org.kexecsim.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * x86_64's memory model, SPARSEMEM_VMEMMAP with SPARSEMEM_EXTREME (Debian's amd64 config): RAM
 * is cut into 128 MiB sections (SECTION_SIZE_BITS 27, arch/x86/include/asm/sparsemem.h); every
 * section holding RAM is present and has its 32768 struct pages at {@code VMEMMAP_START + pfn *
 * 64}, backed by one 2 MiB block of a node-wide buffer allocated top-down (mm/sparse.c
 * sparse_buffer_init with section_map_size() alignment) and mapped with 2 MiB pages
 * (arch/x86/mm/init_64.c vmemmap_populate_hugepages). {@code mem_section} points to an array of
 * NR_SECTION_ROOTS root pointers, each to a page of 128 {@code struct mem_section} whose
 * section_mem_map holds the encoded mem_map (mem_map - section's first pfn, that is VMEMMAP_START)
 * and the PRESENT, HAS_MEM_MAP, ONLINE and EARLY bits (include/linux/mmzone.h,
 * sparse_encode_mem_map).
 *
 * <p>This is what makedumpfile reads through VMCOREINFO (makedumpfile.c get_mm_sparsemem,
 * validate_mem_section, section_mem_map_addr, sparse_decode_mem_map) before it can filter.
 */
public final class SparseVmemmap implements StructPageArray {
  public static final int SECTION_SIZE_BITS = 27;
  /** MAX_PHYSMEM_BITS with 4-level paging (arch/x86/include/asm/sparsemem.h). */
  public static final int MAX_PHYSMEM_BITS = 46;
  /** sizeof(struct mem_section) with CONFIG_PAGE_EXTENSION: section_mem_map, usage, page_ext, pad. */
  public static final int MEM_SECTION_SIZE = 32;
  public static final int SECTIONS_PER_ROOT = PhysicalMemory.PAGE_SIZE / MEM_SECTION_SIZE;
  public static final int NR_SECTION_ROOTS = (1 << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS)) / SECTIONS_PER_ROOT;
  /** VMEMMAP_START with 4-level paging and no KASLR (Documentation/arch/x86/x86_64/mm.rst). */
  public static final long VMEMMAP_START = 0xFFFF_EA00_0000_0000L;
  static final long PAGES_PER_SECTION = 1L << (SECTION_SIZE_BITS - PhysicalMemory.PAGE_SHIFT);
  /** One section's struct pages: 32768 × 64 bytes, one 2 MiB page. */
  static final long SECTION_MAP_BYTES = PAGES_PER_SECTION * 64;
  /** SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP | SECTION_IS_ONLINE | SECTION_IS_EARLY. */
  static final long SECTION_FLAGS = 0xF;

  private final long[] sections;
  private final long memmapBase;
  private final long rootArray;
  private final long[] rootPages;
  private final long[] rootNumbers;
  private final long[] sortedRootPages;

  private SparseVmemmap(long[] sections, long memmapBase, long rootArray, long[] rootNumbers, long[] rootPages) {
    this.sections = sections;
    this.memmapBase = memmapBase;
    this.rootArray = rootArray;
    this.rootNumbers = rootNumbers;
    this.rootPages = rootPages;
    this.sortedRootPages = rootPages.clone();
    Arrays.sort(sortedRootPages);
  }

  /**
   * Places the memmap buffer, the root array and the root pages top-down in usable RAM outside
   * {@code avoid}: where memblock would put them.
   */
  public static SparseVmemmap place(RamMap ram, List<PhysicalRange> avoid) {
    List<Long> present = new ArrayList<>();
    for (RamRange r : ram.ranges()) {
      if (r.type() != RamRange.Type.USABLE) {
        continue;
      }
      long first = r.start() >>> SECTION_SIZE_BITS;
      long last = r.last() >>> SECTION_SIZE_BITS;
      if (last >= 1L << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS)) {
        throw new ImpossibleLayoutException(String.format(
            "RAM at 0x%x is above MAX_PHYSMEM_BITS (%d) of 4-level x86_64: no section can describe it", r.last(), MAX_PHYSMEM_BITS));
      }
      for (long s = first; s <= last; s++) {
        if (present.isEmpty() || present.getLast() < s) {
          present.add(s);
        }
      }
    }
    long[] sections = present.stream().mapToLong(Long::longValue).toArray();
    long[] roots = Arrays.stream(sections).map(s -> s / SECTIONS_PER_ROOT).distinct().toArray();
    List<PhysicalRange> taken = new ArrayList<>(avoid);
    long memmap = topDown(ram, taken, sections.length * SECTION_MAP_BYTES, SECTION_MAP_BYTES);
    taken.add(new PhysicalRange(memmap, sections.length * SECTION_MAP_BYTES));
    long rootArrayBytes = (long) NR_SECTION_ROOTS * 8;
    long array = topDown(ram, taken, rootArrayBytes, PhysicalMemory.PAGE_SIZE);
    taken.add(new PhysicalRange(array, rootArrayBytes));
    // One page per root (sparse_index_alloc), each top-down below the last: one block, handed out downwards.
    long rootBlock = topDown(ram, taken, (long) roots.length * PhysicalMemory.PAGE_SIZE, PhysicalMemory.PAGE_SIZE);
    long[] rootPages = new long[roots.length];
    for (int i = 0; i < roots.length; i++) {
      rootPages[i] = rootBlock + (long) (roots.length - 1 - i) * PhysicalMemory.PAGE_SIZE;
    }
    return new SparseVmemmap(sections, memmap, array, roots, rootPages);
  }

  private static long topDown(RamMap ram, List<PhysicalRange> taken, long size, long align) {
    return Memblock.topDown(ram, taken, size, align, -1L, "struct pages (mem_map)");
  }

  @Override
  public StructPage layout() {
    return StructPage.X86_64;
  }

  /** The physical ranges this model holds: the memmap buffer, the root array, the root pages. */
  @Override
  public List<PhysicalRange> ranges() {
    List<PhysicalRange> out = new ArrayList<>();
    out.add(new PhysicalRange(memmapBase, sections.length * SECTION_MAP_BYTES));
    out.add(new PhysicalRange(rootArray, (long) NR_SECTION_ROOTS * 8));
    // the root pages, handed out downwards from one block (place)
    out.add(new PhysicalRange(sortedRootPages[0], (long) sortedRootPages.length * PhysicalMemory.PAGE_SIZE));
    return out;
  }

  @Override
  public boolean contains(long physical) {
    if (Long.compareUnsigned(physical - memmapBase, sections.length * SECTION_MAP_BYTES) < 0
        || Long.compareUnsigned(physical - rootArray, (long) NR_SECTION_ROOTS * 8) < 0) {
      return true;
    }
    return Long.compareUnsigned(physical - sortedRootPages[0], (long) sortedRootPages.length * PhysicalMemory.PAGE_SIZE) < 0;
  }

  /** Physical address of the root array, whose direct-map address is VMCOREINFO's SYMBOL(mem_section). */
  public long rootArray() {
    return rootArray;
  }

  /** The struct page of {@code pfn}: its virtual address (in the vmemmap). */
  public static long structPageVirtual(long pfn) {
    return VMEMMAP_START + pfn * StructPage.X86_64.size();
  }

  /** The struct page of {@code pfn}: its physical address in the memmap buffer; -1 when its section is not present. */
  @Override
  public long structPagePhysical(long pfn) {
    int i = Arrays.binarySearch(sections, pfn / PAGES_PER_SECTION);
    return i < 0 ? -1 : memmapBase + i * SECTION_MAP_BYTES + (pfn % PAGES_PER_SECTION) * StructPage.X86_64.size();
  }

  /**
   * Writes the root array and the mem_section entries; {@code directMap} turns a physical address
   * into its direct-map virtual address.
   */
  public void writeSections(PhysicalMemory memory, java.util.function.LongUnaryOperator directMap) {
    for (int i = 0; i < rootNumbers.length; i++) {
      memory.writeU64(rootArray + rootNumbers[i] * 8, directMap.applyAsLong(rootPages[i]));
    }
    for (long s : sections) {
      long page = rootPages[Arrays.binarySearch(rootNumbers, s / SECTIONS_PER_ROOT)];
      // sparse_encode_mem_map: mem_map - section_nr_to_pfn(pnum), in struct pages: VMEMMAP_START
      memory.writeU64(page + (s % SECTIONS_PER_ROOT) * MEM_SECTION_SIZE, VMEMMAP_START | SECTION_FLAGS);
    }
  }

  /**
   * The vmemmap mappings: one per run of consecutive present sections, {@code [virtual, physical,
   * bytes]}, to be mapped with 2 MiB pages.
   */
  public List<long[]> mappings() {
    List<long[]> out = new ArrayList<>();
    int i = 0;
    while (i < sections.length) {
      int j = i + 1;
      while (j < sections.length && sections[j] == sections[j - 1] + 1) {
        j++;
      }
      out.add(new long[] {structPageVirtual(sections[i] * PAGES_PER_SECTION), memmapBase + i * SECTION_MAP_BYTES,
          (j - i) * SECTION_MAP_BYTES});
      i = j;
    }
    return out;
  }
}
