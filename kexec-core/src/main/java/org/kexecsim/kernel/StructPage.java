package org.kexecsim.kernel;

import org.kexecsim.memory.PhysicalMemory;

/**
 * Linux 6.1's struct page (include/linux/mm_types.h) as the Debian 6.1 kernels lay it out: the
 * sizes and offsets are those their VMCOREINFO publishes (amd64: SIZE(page)=64; 686-pae: 40), and
 * the flag bits those of include/linux/page-flags.h for their configs. The synthetic kernel
 * writes its struct pages with these and publishes the same numbers, so a tool reading the
 * VMCOREINFO reads the fields where they are.
 *
 * @param size SIZE(page)
 * @param lru OFFSET(page.lru); also OFFSET(page.compound_head), which shares the first word
 * @param compoundDtor OFFSET(page.compound_dtor), a byte of the first tail page
 * @param compoundOrder OFFSET(page.compound_order), the byte after it
 * @param mapping OFFSET(page.mapping)
 * @param index page->index, the page's offset in its mapping (after mapping)
 * @param privateData OFFSET(page.private)
 * @param mapcount OFFSET(page._mapcount), which page_type overlays
 * @param refcount OFFSET(page._refcount)
 * @param longBytes sizeof(unsigned long)
 */
public record StructPage(int size, int lru, int compoundDtor, int compoundOrder, int mapping, int index,
    int privateData, int mapcount, int refcount, int longBytes) {

  /** amd64 (the real 6.1.0-57-amd64 VMCOREINFO). */
  public static final StructPage X86_64 = new StructPage(64, 8, 16, 17, 24, 32, 40, 48, 52, 8);
  /** 686-pae and i386 (the real 6.1.0-57-686-pae VMCOREINFO). */
  public static final StructPage I386 = new StructPage(40, 4, 8, 9, 12, 16, 20, 24, 28, 4);

  // enum pageflags, include/linux/page-flags.h (6.1, x86 with CONFIG_MEMORY_FAILURE)
  public static final int PG_UPTODATE = 2;
  public static final int PG_DIRTY = 3;
  public static final int PG_LRU = 4;
  public static final int PG_ACTIVE = 5;
  public static final int PG_SLAB = 9;
  /** PG_owner_priv_1, which is PG_swapcache for swap-backed pages. */
  public static final int PG_SWAPCACHE = 10;
  public static final int PG_RESERVED = 12;
  public static final int PG_PRIVATE = 13;
  public static final int PG_HEAD = 16;
  public static final int PG_SWAPBACKED = 19;
  public static final int PG_HWPOISON = 23;

  /** page_type's base: a page with no type has _mapcount -1 (PAGE_TYPE_BASE 0xf0000000 and every type bit set). */
  public static final int NO_PAGE_TYPE = -1;
  /** PG_buddy 0x80 cleared: PAGE_BUDDY_MAPCOUNT_VALUE, -129. */
  public static final int PAGE_TYPE_BUDDY = ~0x80;
  /** PG_offline 0x100 cleared: PAGE_OFFLINE_MAPCOUNT_VALUE, -257. */
  public static final int PAGE_TYPE_OFFLINE = ~0x100;
  /** PG_table 0x200 cleared: a page table from the page allocator. */
  public static final int PAGE_TYPE_TABLE = ~0x200;
  /** PAGE_MAPPING_ANON: bit 0 of page->mapping says it points to an anon_vma (include/linux/page-flags.h). */
  public static final long PAGE_MAPPING_ANON = 1;
  /** MAX_ORDER in 6.1: free blocks are of order 0 to 10 (LENGTH(zone.free_area)=11). */
  public static final int MAX_ORDER = 11;
  /** HUGETLB_PAGE_DTOR in enum compound_dtor_id (6.1 with CONFIG_HUGETLB_PAGE). */
  public static final int HUGETLB_PAGE_DTOR = 2;

  public static long flag(int bit) {
    return 1L << bit;
  }

  /** One struct page's fields; what a struct page says of its frame. */
  public record Fields(long flags, long mapping, long index, long privateData, int mapcount, int refcount) {
    public static Fields reserved() {
      return new Fields(flag(PG_RESERVED), 0, 0, 0, NO_PAGE_TYPE, 1);
    }
  }

  /** Writes {@code f} to the struct page at physical address {@code at}; the other bytes stay as they are. */
  public void write(PhysicalMemory memory, long at, Fields f) {
    writeLong(memory, at, f.flags());
    writeLong(memory, at + mapping, f.mapping());
    writeLong(memory, at + index, f.index());
    writeLong(memory, at + privateData, f.privateData());
    memory.writeU32(at + mapcount, f.mapcount() & 0xFFFF_FFFFL);
    memory.writeU32(at + refcount, f.refcount() & 0xFFFF_FFFFL);
  }

  /** Writes an unsigned long (a pointer) of this architecture at {@code at}. */
  public void writeWord(PhysicalMemory memory, long at, long v) {
    writeLong(memory, at, v);
  }

  private void writeLong(PhysicalMemory memory, long at, long v) {
    if (longBytes == 8) {
      memory.writeU64(at, v);
    } else {
      memory.writeU32(at, v & 0xFFFF_FFFFL);
    }
  }
}
