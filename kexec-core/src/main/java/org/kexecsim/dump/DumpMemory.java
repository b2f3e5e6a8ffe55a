package org.kexecsim.dump;

import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;

/**
 * The memory of a dump file, whatever its format: read-only, and addressed only inside the RAM
 * the file describes. Holds the refusals and the range rule every dump reader shares.
 */
public interface DumpMemory extends PhysicalMemory {

  @Override
  default boolean writable() {
    return false;
  }

  /** Refuses a range that wraps past 2^64 or leaves the dump's RAM. */
  static void checkRange(RamMap ramMap, long physical, long length) {
    if (length > 0 && Long.compareUnsigned(physical + length - 1, physical) < 0) {
      throw new PhysicalAccessException(physical, String.format("physical range 0x%x + 0x%x wraps past 2^64", physical, length));
    }
    if (!ramMap.containsRange(physical, length)) {
      throw outside(physical, length);
    }
  }

  /**
   * A little-endian value of {@code bytes} bytes read byte by byte: for reads that straddle a
   * page, an extent or a zero-filled tail, where no single slice of the file holds them.
   */
  default long readStraddling(long physical, int bytes) {
    checkRange(ramMap(), physical, bytes);
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = (v << 8) | readU8(physical + i);
    }
    return v;
  }

  static PhysicalAccessException outside(long physical, long length) {
    return new PhysicalAccessException(physical, String.format("physical address 0x%x (%d bytes) is not in the dump", physical, length));
  }

  @Override
  default void writeU8(long physical, int value) {
    throw readOnly();
  }

  @Override
  default void writeU16(long physical, int value) {
    throw readOnly();
  }

  @Override
  default void writeU32(long physical, long value) {
    throw readOnly();
  }

  @Override
  default void writeU64(long physical, long value) {
    throw readOnly();
  }

  @Override
  default void write(long physical, byte[] src, int offset, int length) {
    throw readOnly();
  }

  @Override
  default void copyPage(long srcPhysical, long dstPhysical) {
    throw readOnly();
  }

  private static UnsupportedOperationException readOnly() {
    return new UnsupportedOperationException("a dump is read-only");
  }
}
