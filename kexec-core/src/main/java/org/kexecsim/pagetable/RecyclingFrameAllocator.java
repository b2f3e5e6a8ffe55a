package org.kexecsim.pagetable;

import java.util.Arrays;

/**
 * Bump allocation over {@code [start, limit)} with a free list: frames given back are handed out
 * again first, so a long simulation (a million page faults) reuses frames instead of growing.
 * A kernel's page allocator, as far as its callers can tell.
 */
public class RecyclingFrameAllocator implements FrameAllocator {
  private final String owner;
  private final long limit;
  private long next;
  private long[] free = new long[256];
  private int freeCount;
  private long inUse;

  /** @param owner who runs out, for the error: "host", "UML" */
  public RecyclingFrameAllocator(String owner, long start, long limit) {
    this.owner = owner;
    this.next = start;
    this.limit = limit;
  }

  @Override
  public long allocateFrame() {
    if (freeCount > 0) {
      inUse++;
      return free[--freeCount];
    }
    if (next + 4096 > limit) {
      throw new OutOfFramesException(String.format(
          "%s out of memory: no free frame below 0x%x (%d in use)", owner, limit, inUse));
    }
    long pa = next;
    next += 4096;
    inUse++;
    return pa;
  }

  public void free(long physical) {
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = physical;
    inUse--;
  }

  public long framesInUse() {
    return inUse;
  }
}
