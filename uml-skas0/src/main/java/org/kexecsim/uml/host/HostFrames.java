package org.kexecsim.uml.host;

import org.kexecsim.pagetable.RecyclingFrameAllocator;

/**
 * The host kernel's page allocator for its page tables and anonymous memory: bump allocation
 * with a free list, so a run of a million faults reuses frames instead of growing.
 */
public final class HostFrames extends RecyclingFrameAllocator {
  public HostFrames(long start, long limit) {
    super("host", start, limit);
  }
}
