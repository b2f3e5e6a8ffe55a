package org.kexecsim.kimage;

import org.kexecsim.memory.AddressRange;

/** {@code [start, start+size)} of physical memory; {@code size > 0}; unsigned. */
public record PhysicalRange(long start, long size) implements AddressRange {

  public PhysicalRange {
    if (size <= 0) {
      throw new IllegalArgumentException(String.format("range at 0x%x has size 0x%x", start, size));
    }
  }

  /** Whether {@code [first, last]} (inclusive) lies inside this range. */
  public boolean containsInclusive(long first, long lastByte) {
    return Long.compareUnsigned(first, start) >= 0 && Long.compareUnsigned(lastByte, last()) <= 0;
  }

  public boolean overlaps(long first, long lastByte) {
    return Long.compareUnsigned(lastByte, start) >= 0 && Long.compareUnsigned(first, last()) <= 0;
  }

  @Override
  public String toString() {
    return String.format("[0x%x-0x%x]", start, last());
  }
}
