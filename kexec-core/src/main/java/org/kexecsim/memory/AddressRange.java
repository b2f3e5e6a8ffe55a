package org.kexecsim.memory;

/**
 * {@code [start, start + size)} of physical address space, unsigned, {@code size > 0}: the one
 * home of a range's arithmetic (its last byte, its end, what it contains), shared by the RAM
 * map's entries and kexec's ranges (segments, the crash region).
 */
public interface AddressRange {
  long start();

  long size();

  /** The last byte, inclusive: what the kernel keeps in a struct resource's end. */
  default long last() {
    return start() + size() - 1;
  }

  /** The first address after the range; 0 when the range ends at 2^64. */
  default long end() {
    return start() + size();
  }

  default boolean contains(long physical) {
    return Long.compareUnsigned(physical, start()) >= 0 && Long.compareUnsigned(physical, last()) <= 0;
  }
}
