package org.kexecsim.kimage;

/**
 * The running kernel's page allocator as kexec sees it: alloc_pages() hands out free blocks of
 * 2^order pages, naturally aligned, from wherever the buddy lists happen to have them.
 */
public interface FreePages {

  /**
   * A free, naturally aligned block of {@code pages} (a power of two) 4 KiB frames lying
   * entirely below {@code limit}, now in use; or -1 when there is none (alloc_pages() returning
   * NULL).
   */
  long allocate(int pages, long limit);

  /** Frames handed out so far. */
  long allocatedFrames();
}
