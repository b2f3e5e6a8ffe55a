package org.kexecsim.kernel;

/**
 * The kernel image's mapping: {@code size} bytes from {@code virtualStart} (_text) at {@code
 * physicalStart}. On x86_64 this is the __START_KERNEL_map alias and physical = virtual -
 * __START_KERNEL_map + phys_base; on i386 it is part of the direct map.
 */
public record KernelText(long virtualStart, long physicalStart, long size, long textBytes) {

  public boolean containsVirtual(long virtual) {
    return Long.compareUnsigned(virtual, virtualStart) >= 0
        && Long.compareUnsigned(virtual - virtualStart, size) < 0;
  }

  /** __pa_symbol(): the physical address of a kernel-image virtual address. */
  public long physical(long virtual) {
    if (!containsVirtual(virtual)) {
      throw new IllegalArgumentException(String.format("0x%x is not in the kernel image", virtual));
    }
    return physicalStart + (virtual - virtualStart);
  }

  public long virtual(long physical) {
    return virtualStart + (physical - physicalStart);
  }
}
