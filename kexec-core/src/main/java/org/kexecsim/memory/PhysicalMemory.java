package org.kexecsim.memory;

/**
 * The machine's physical address space: little-endian loads and stores at 64-bit physical
 * addresses. The walker, the CPU and the dump analyzer speak only this interface, so a page
 * walk over a simulated machine and over a real vmcore is the same code.
 *
 * <p>Addresses are unsigned 64-bit values. An access that is not entirely inside the {@link
 * #ramMap() RAM map}, or whose range wraps past 2^64, throws {@link PhysicalAccessException}
 * naming the address.
 */
public interface PhysicalMemory {

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

  void writeU8(long physical, int value);

  /** Writes the low 16 bits of {@code value}, little-endian. */
  void writeU16(long physical, int value);

  /** Writes the low 32 bits of {@code value}, little-endian. */
  void writeU32(long physical, long value);

  /** Writes {@code value}, little-endian. */
  void writeU64(long physical, long value);

  /** Copies {@code length} bytes starting at {@code physical} into {@code dst[offset..]}. */
  void read(long physical, byte[] dst, int offset, int length);

  /** Stores {@code src[offset..offset+length)} at {@code physical}. */
  void write(long physical, byte[] src, int offset, int length);

  /** Whether this memory can be written (a dump view is read-only). */
  default boolean writable() {
    return true;
  }

  /**
   * Copies the 4 KiB frame at {@code srcPhysical} to {@code dstPhysical}; both page-aligned.
   * Implementations override this with a bulk copy.
   */
  default void copyPage(long srcPhysical, long dstPhysical) {
    byte[] page = new byte[PAGE_SIZE];
    read(srcPhysical, page, 0, PAGE_SIZE);
    write(dstPhysical, page, 0, PAGE_SIZE);
  }

  /** Whether the frame at {@code physical} in this memory equals the frame at {@code otherPhysical} in {@code other}. */
  default boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    byte[] a = new byte[PAGE_SIZE];
    byte[] b = new byte[PAGE_SIZE];
    read(physical, a, 0, PAGE_SIZE);
    other.read(otherPhysical, b, 0, PAGE_SIZE);
    return java.util.Arrays.equals(a, b);
  }

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
}
