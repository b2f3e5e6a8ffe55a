package org.kexecsim.memory;

/**
 * One entry of the RAM map: {@code [start, start + size)} of physical address space, usable RAM
 * or reserved (firmware, ACPI, MMIO holes that still read back). Like one line of the e820 map.
 */
public record RamRange(long start, long size, Type type) implements AddressRange {

  /** The e820 classes this model distinguishes. */
  public enum Type {
    USABLE,
    RESERVED
  }

  public RamRange {
    if (size <= 0) {
      throw new InvalidRamMapException(
          String.format("RAM range at 0x%x has size 0x%x: sizes must be positive", start, size));
    }
    if (Long.compareUnsigned(start + size - 1, start) < 0) {
      throw new InvalidRamMapException(
          String.format("RAM range 0x%x + 0x%x wraps past 2^64", start, size));
    }
  }

  public static RamRange usable(long start, long size) {
    return new RamRange(start, size, Type.USABLE);
  }

  public static RamRange reserved(long start, long size) {
    return new RamRange(start, size, Type.RESERVED);
  }

  @Override
  public String toString() {
    return String.format("[0x%x-0x%x] %s", start, last(), type.name().toLowerCase(java.util.Locale.ROOT));
  }
}
