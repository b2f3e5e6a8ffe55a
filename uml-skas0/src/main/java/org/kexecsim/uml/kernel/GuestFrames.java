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

  /** Extra users of a frame beyond the first (copy-on-write after fork), by frame. */
  private final java.util.HashMap<Long, Integer> sharers = new java.util.HashMap<>();
  private long zeroPage = -1;

  /**
   * ZERO_PAGE: the one zeroed frame every read fault on untouched anonymous memory maps read-only
   * (mm/memory.c do_anonymous_page); never freed.
   */
  public long zeroPage() {
    if (zeroPage < 0) {
      zeroPage = allocateZeroed();
    }
    return zeroPage;
  }

  /** One more mapping of {@code frame} (fork shares the parent's pages, get_page). */
  void share(long frame) {
    if (frame != zeroPage) {
      sharers.merge(frame, 1, Integer::sum);
    }
  }

  /** Whether anyone else maps {@code frame} (so a write must copy it: do_wp_page). */
  boolean shared(long frame) {
    return frame == zeroPage || sharers.containsKey(frame);
  }

  /** Drops one mapping of {@code frame}; the last one frees it (put_page). */
  void release(long frame) {
    if (frame == zeroPage) {
      return;
    }
    Integer n = sharers.get(frame);
    if (n == null) {
      free(frame);
    } else if (n == 1) {
      sharers.remove(frame);
    } else {
      sharers.put(frame, n - 1);
    }
  }

  /** A frame filled with zeros, as the kernel hands out for anonymous memory. */
  public long allocateZeroed() {
    long f = allocateFrame();
    physmem.write(f, ZERO, 0, ZERO.length);
    return f;
  }
}
