package org.kexecsim.memory;

/**
 * The machine's physical address space: {@link ReadableMemory}'s loads, and stores. The walker,
 * the CPU and the simulator speak this interface; whatever only reads (the dump analyzer, the
 * table walk) takes {@link ReadableMemory}, so that a read-only image is a type, not a flag.
 *
 * <p>Thread-safety: writes are not synchronized; a memory that is written is confined to one
 * thread at a time (as a confined {@link java.lang.foreign.MemorySegment} is). Stores are visible
 * to later loads on the same thread.
 */
public interface PhysicalMemory extends ReadableMemory {

  /** Writes the low 8 bits of {@code value}. */
  void writeU8(long physical, int value);

  /** Writes the low 16 bits of {@code value}, little-endian. */
  void writeU16(long physical, int value);

  /** Writes the low 32 bits of {@code value}, little-endian. */
  void writeU32(long physical, long value);

  /** Writes {@code value}, little-endian. */
  void writeU64(long physical, long value);

  /** Stores {@code src[offset..offset+length)} at {@code physical}. */
  void write(long physical, byte[] src, int offset, int length);

  /**
   * Writes {@code count} little-endian 8-byte values from {@code physical} on: {@code first},
   * {@code first + step}, {@code first + 2 * step} ... — a run of page-table entries mapping
   * consecutive frames (a page table of a linear map is one such run). Implementations override
   * this to store straight into their frames.
   */
  default void writeU64Series(long physical, int count, long first, long step) {
    for (int i = 0; i < count; i++) {
      writeU64(physical + 8L * i, first + i * step);
    }
  }

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
}
