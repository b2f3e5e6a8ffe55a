package org.kexecsim.kernel;

/**
 * What a RAM page of the synthetic kernel is, as far as a dump filter can tell: the roles
 * makedumpfile's dump levels exclude (makedumpfile.c __exclude_unnecessary_pages, and the zero
 * check of write_kdump_pages) and the ones it always keeps.
 */
public enum PageRole {
  /** The image, memblock allocations, the memmap, slab objects: kept at every level. */
  KERNEL,
  /** A page table: kept at every level. */
  PAGE_TABLE,
  /** The crashkernel= reservation: not in the vmcore at all (the capture kernel runs there). */
  CRASH_REGION,
  /** Page cache (PG_lru, a non-anonymous mapping, no PG_private): dump level 2 or 4. */
  PAGE_CACHE,
  /** Page cache with PG_private (buffer heads): dump level 4 only. */
  PAGE_CACHE_PRIVATE,
  /** Anonymous user memory (mapping with PAGE_MAPPING_ANON): dump level 8. */
  ANON,
  /** In a buddy free block (PageBuddy on the block's first struct page): dump level 16. */
  FREE,
  /** Holds only zeros, whatever else it is: dump level 1, which reads the page's contents. */
  ZERO;

  /** makedumpfile's -d bits (DL_EXCLUDE_ZERO 1, CACHE 2, CACHE_PRI 4, USER_DATA 8, FREE 16). */
  public static final int DL_EXCLUDE_ZERO = 1;
  public static final int DL_EXCLUDE_CACHE = 2;
  public static final int DL_EXCLUDE_CACHE_PRI = 4;
  public static final int DL_EXCLUDE_USER_DATA = 8;
  public static final int DL_EXCLUDE_FREE = 16;

  /** Whether makedumpfile {@code -d level} leaves a page of this role out of its output. */
  public boolean excludedAt(int level) {
    return switch (this) {
      case KERNEL, PAGE_TABLE, CRASH_REGION -> false;
      case PAGE_CACHE -> (level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI)) != 0;
      case PAGE_CACHE_PRIVATE -> (level & DL_EXCLUDE_CACHE_PRI) != 0;
      case ANON -> (level & DL_EXCLUDE_USER_DATA) != 0;
      case FREE -> (level & DL_EXCLUDE_FREE) != 0;
      case ZERO -> (level & DL_EXCLUDE_ZERO) != 0;
    };
  }
}
