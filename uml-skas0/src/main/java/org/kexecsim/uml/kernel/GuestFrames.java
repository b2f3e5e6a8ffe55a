package org.kexecsim.uml.kernel;

import java.util.Arrays;
import org.kexecsim.pagetable.FrameAllocator;
import org.kexecsim.uml.host.Physmem;

/**
 * UML's page allocator over its physmem file: guest-physical frames for user pages and for the
 * guest page tables. A free list makes frames come back, so long runs stay small.
 */
public final class GuestFrames implements FrameAllocator {
  private static final byte[] ZERO = new byte[4096];
  private final Physmem physmem;
  private long next;
  private long[] free = new long[256];
  private int freeCount;
  private long inUse;

  public GuestFrames(Physmem physmem, long start) {
    this.physmem = physmem;
    this.next = start;
  }

  @Override
  public long allocateFrame() {
    inUse++;
    if (freeCount > 0) {
      return free[--freeCount];
    }
    if (next + 4096 > physmem.size()) {
      inUse--;
      throw new OutOfFramesException(String.format(
          "UML out of memory: physmem of 0x%x bytes is full (%d frames in use)", physmem.size(), inUse));
    }
    long f = next;
    next += 4096;
    return f;
  }

  /** A frame filled with zeros, as the kernel hands out for anonymous memory. */
  public long allocateZeroed() {
    long f = allocateFrame();
    physmem.write(f, ZERO, 0, ZERO.length);
    return f;
  }

  public void free(long frame) {
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, free.length * 2);
    }
    free[freeCount++] = frame;
    inUse--;
  }

  public long inUse() {
    return inUse;
  }
}
