package org.kexecsim.pagetable;

import java.util.function.LongPredicate;

/**
 * Allocates frames upwards from {@code start} to {@code limit}, skipping any frame the {@code
 * busy} predicate reports in use: the simplest allocator that still honours "stay clear of the
 * kimage's destinations".
 */
public final class BumpFrameAllocator implements FrameAllocator {
  private final long limit;
  private final LongPredicate busy;
  private long next;
  private long allocated;

  public BumpFrameAllocator(long start, long limit) {
    this(start, limit, pa -> false);
  }

  public BumpFrameAllocator(long start, long limit, LongPredicate busy) {
    if ((start & 0xFFF) != 0) {
      throw new IllegalArgumentException(String.format("start 0x%x is not page-aligned", start));
    }
    this.next = start;
    this.limit = limit;
    this.busy = busy;
  }

  @Override
  public long allocateFrame() {
    while (Long.compareUnsigned(next + 4096, limit) <= 0 && next + 4096 != 0) {
      long pa = next;
      next += 4096;
      if (!busy.test(pa)) {
        allocated++;
        return pa;
      }
    }
    throw new OutOfFramesException(
        String.format("no free 4 KiB frame left below 0x%x (%d allocated)", limit, allocated));
  }

  /** Frames handed out so far. */
  public long allocatedFrames() {
    return allocated;
  }
}
