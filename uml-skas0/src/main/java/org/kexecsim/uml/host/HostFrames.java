package org.kexecsim.uml.host;

import org.kexecsim.pagetable.FrameAllocator;

/**
 * The host kernel's page allocator for its page tables and anonymous memory: bump allocation
 * with a free list, so a run of a million faults reuses frames instead of growing.
 */
public final class HostFrames implements FrameAllocator {
  private final long limit;
  private long next;
  private long[] free = new long[256];
  private int freeCount;
  private long inUse;

  public HostFrames(long start, long limit) {
    this.next = start;
    this.limit = limit;
  }

  @Override
  public long allocateFrame() {
    inUse++;
    if (freeCount > 0) {
      return free[--freeCount];
    }
    if (next + 4096 > limit) {
      inUse--;
      throw new OutOfFramesException(String.format(
          "host out of memory: no free frame below 0x%x (%d in use)", limit, inUse));
    }
    long pa = next;
    next += 4096;
    return pa;
  }

  public void free(long pa) {
    if (freeCount == free.length) {
      free = java.util.Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = pa;
    inUse--;
  }

  public long framesInUse() {
    return inUse;
  }
}
