package org.kexecsim.memory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.kexecsim.input.RejectedInput;

/**
 * A raw physical-memory image (byte N of the file is physical address N), mapped read-only
 * with java.lang.foreign so that multi-GiB images open at once and are read page by page.
 * Sparse files are welcome: their holes read as zero without costing memory.
 */
public final class RawImageMemory implements PhysicalMemory, AutoCloseable {
  private static final ValueLayout.OfShort LE16 =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt LE32 =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LE64 =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final Path file;
  private final Arena arena;
  private final MemorySegment image;
  private final RamMap ramMap;

  private RawImageMemory(Path file, Arena arena, MemorySegment image, RamMap ramMap) {
    this.file = file;
    this.arena = arena;
    this.image = image;
    this.ramMap = ramMap;
  }

  /** Maps {@code file}; RAM is {@code [0, file size)}. */
  public static RawImageMemory open(Path file) throws IOException {
    return open(file, null);
  }

  /**
   * Maps {@code file} with the given RAM map, which must lie inside the file; null means the
   * whole file is RAM.
   */
  public static RawImageMemory open(Path file, RamMap ramMap) throws IOException {
    Arena arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new ImageTooSmall(file + ": the image is empty: no RAM to read");
      }
      RamMap map = ramMap != null ? ramMap : RamMap.ofSize(size);
      long end = map.end();
      if (end == 0 || Long.compareUnsigned(end, size) > 0) {
        throw new ImageTooSmall(String.format(
            "%s: RAM map ends at 0x%x but the image has only 0x%x bytes", file, end, size));
      }
      MemorySegment segment = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      return new RawImageMemory(file, arena, segment, map);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** The RAM map asks for bytes the image does not have. */
  public static final class ImageTooSmall extends RuntimeException implements RejectedInput {
    ImageTooSmall(String message) {
      super(message);
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public RamMap ramMap() {
    return ramMap;
  }

  @Override
  public boolean writable() {
    return false;
  }

  private long check(long physical, long length) {
    if (!ramMap.containsRange(physical, length)) {
      throw Long.compareUnsigned(physical + length - 1, physical) < 0
          ? PhysicalAccessException.wraps(physical, length)
          : PhysicalAccessException.outsideRam(physical, length);
    }
    return physical;
  }

  @Override
  public int readU8(long physical) {
    return image.get(ValueLayout.JAVA_BYTE, check(physical, 1)) & 0xff;
  }

  @Override
  public int readU16(long physical) {
    return image.get(LE16, check(physical, 2)) & 0xffff;
  }

  @Override
  public long readU32(long physical) {
    return image.get(LE32, check(physical, 4)) & 0xffff_ffffL;
  }

  @Override
  public long readU64(long physical) {
    return image.get(LE64, check(physical, 8));
  }

  @Override
  public void read(long physical, byte[] dst, int offset, int length) {
    MemorySegment.copy(image, ValueLayout.JAVA_BYTE, check(physical, length), dst, offset, length);
  }

  @Override
  public boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    if (other instanceof RawImageMemory o) {
      check(physical, PAGE_SIZE);
      o.check(otherPhysical, PAGE_SIZE);
      return MemorySegment.mismatch(image, physical, physical + PAGE_SIZE, o.image, otherPhysical, otherPhysical + PAGE_SIZE) < 0;
    }
    return PhysicalMemory.super.pageEquals(physical, other, otherPhysical);
  }

  private UnsupportedOperationException readOnly(long physical) {
    return new UnsupportedOperationException(String.format(
        "%s is mapped read-only: cannot write physical address 0x%x (wrap it in an OverlayMemory)", file, physical));
  }

  @Override
  public void writeU8(long physical, int value) {
    throw readOnly(physical);
  }

  @Override
  public void writeU16(long physical, int value) {
    throw readOnly(physical);
  }

  @Override
  public void writeU32(long physical, long value) {
    throw readOnly(physical);
  }

  @Override
  public void writeU64(long physical, long value) {
    throw readOnly(physical);
  }

  @Override
  public void write(long physical, byte[] src, int offset, int length) {
    throw readOnly(physical);
  }

  @Override
  public void close() {
    arena.close();
  }
}
