package org.kexecsim.uml.kernel;

import org.kexecsim.pagetable.RecyclingFrameAllocator;
import org.kexecsim.uml.host.Physmem;

/**
 * UML's page allocator over its physmem file: guest-physical frames for user pages and for the
 * guest page tables. A free list makes frames come back, so long runs stay small.
 */
public final class GuestFrames extends RecyclingFrameAllocator {
  private static final byte[] ZERO = new byte[4096];
  private final Physmem physmem;

  public GuestFrames(Physmem physmem, long start) {
    super("UML", start, physmem.size());
    this.physmem = physmem;
  }

  /** A frame filled with zeros, as the kernel hands out for anonymous memory. */
  public long allocateZeroed() {
    long f = allocateFrame();
    physmem.write(f, ZERO, 0, ZERO.length);
    return f;
  }
}
