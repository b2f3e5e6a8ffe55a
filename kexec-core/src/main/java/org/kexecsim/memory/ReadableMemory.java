package org.kexecsim.memory;

import java.util.List;
import java.util.Optional;

/**
 * The read side of a physical address space: little-endian loads at 64-bit physical addresses,
 * in the manner of rust-vmm's vm-memory {@code GuestMemory} (one address type, regions that can
 * be listed) and the JDK's {@code MemorySegment} (bounds-checked accesses, a stated thread model).
 *
 * <p>Addresses are unsigned 64-bit values. An access that is not entirely inside the {@link
 * #ramMap() RAM map}, or whose range wraps past 2^64, throws {@link PhysicalAccessException}
 * naming the address; a page the image does not hold ({@link #isExcluded}) throws {@link
 * PageExcludedException}, never reads as zeros.
 *
 * <p>Thread-safety: loads from several threads at once are safe only when {@link
 * #concurrentReads()} says so (file-backed dumps); otherwise one thread at a time.
 */
public interface ReadableMemory {

  /** Bytes in a frame, the unit of sparse allocation and of page compare/copy. */
  int PAGE_SIZE = 4096;

  int PAGE_SHIFT = 12;

  /** What exists: the usable and reserved ranges, like the BIOS e820 map. */
  RamMap ramMap();

  /** Reads one byte, zero-extended. */
  int readU8(long physical);

  /** Reads a little-endian 16-bit value, zero-extended. */
  int readU16(long physical);

  /** Reads a little-endian 32-bit value, zero-extended into a long. */
  long readU32(long physical);

  /** Reads a little-endian 64-bit value. */
  long readU64(long physical);

  /**
   * Reads {@code values[j] = readU64(addresses[j])} for each {@code j < count}, in order, failing
   * as that {@code readU64} would. One call for many independent loads, so that a memory can
   * issue them back to back (a batch of page walks reads one entry per walk and level).
   */
  default void readU64s(long[] addresses, long[] values, int count) {
    for (int j = 0; j < count; j++) {
      values[j] = readU64(addresses[j]);
    }
  }

  /** Copies {@code length} bytes starting at {@code physical} into {@code dst[offset..]}. */
  void read(long physical, byte[] dst, int offset, int length);

  /**
   * Whether the frame at {@code physical} may hold non-zero bytes. Sparse and file-backed
   * memories answer cheaply, which lets whole-image scans skip holes; the default is
   * conservative.
   */
  default boolean mayBeNonZero(long physical) {
    return true;
  }

  /**
   * Whether the page holding {@code physical} is RAM whose content this image does not hold: a
   * kdump-compressed dump leaves out the pages its dump level ({@code makedumpfile -d}) excluded.
   * Reading such a page throws {@link PageExcludedException}; it is never read as zeros.
   */
  default boolean isExcluded(long physical) {
    return false;
  }

  /** Bytes of RAM, in whole pages, that {@link #isExcluded} says the image does not hold. */
  default long excludedBytes() {
    return 0;
  }

  /** Whether several threads may read at once (file-backed dumps); a simulated memory may not. */
  default boolean concurrentReads() {
    return false;
  }

  /**
   * Whether any byte of {@code [start, end)} may be non-zero. A memory that knows its holes (a
   * sparse file's extents) answers for the whole range at once; the default asks page by page
   * through {@link #mayBeNonZero}.
   */
  default boolean mayHaveData(long start, long end) {
    for (long p = start & -PAGE_SIZE; Long.compareUnsigned(p, end) < 0; p += PAGE_SIZE) {
      if (mayBeNonZero(p)) {
        return true;
      }
      if (p + PAGE_SIZE == 0) {
        break; // the top page of the address space
      }
    }
    return false;
  }

  /** A populated stretch of physical memory: {@code [start, start+length)}. */
  record Region(long start, long length) {}

  /**
   * The regions that may hold non-zero bytes, ascending and disjoint, when this memory can list
   * them cheaply (a sparse memory lists what was written); empty when it can only answer page by
   * page through {@link #mayBeNonZero}.
   */
  default Optional<List<Region>> populatedRegions() {
    return Optional.empty();
  }
}
