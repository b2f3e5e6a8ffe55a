package org.kexecsim.dump.kdump;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.kexecsim.dump.MalformedDumpException;

/**
 * The bytes of a kdump-compressed file, wherever they are stored: a mapped regular file, or the
 * records of a flattened stream ({@code makedumpfile -F}). Offsets are those of the file
 * makedumpfile meant to write; every read is checked against {@link #size()} first.
 */
public sealed interface DumpBytes permits DumpBytes.Mapped, FlattenedStream {
  ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** The file's name as the user gave it. */
  String name();

  /** Bytes in the (logical) file. */
  long size();

  /** Copies {@code [offset, offset+length)}; the caller has checked it lies inside {@link #size()}. */
  void read(long offset, byte[] dst, int dstOffset, int length);

  default long u64(long offset) {
    byte[] b = new byte[8];
    read(offset, b, 0, 8);
    return MemorySegment.ofArray(b).get(U64, 0);
  }

  default long u32(long offset) {
    byte[] b = new byte[4];
    read(offset, b, 0, 4);
    return MemorySegment.ofArray(b).get(U32, 0) & 0xFFFF_FFFFL;
  }

  /** Whether {@code [offset, offset+length)} lies inside the file; unsigned, no wrap. */
  default boolean fits(long offset, long length) {
    return Long.compareUnsigned(offset, size()) <= 0 && Long.compareUnsigned(length, size() - offset) <= 0;
  }

  default MalformedDumpException bad(long offset, String problem) {
    return new MalformedDumpException(name(), offset, problem);
  }

  /** A regular file, mapped read-only. */
  record Mapped(String name, MemorySegment file) implements DumpBytes {
    @Override
    public long size() {
      return file.byteSize();
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
      MemorySegment.copy(file, ValueLayout.JAVA_BYTE, offset, dst, dstOffset, length);
    }

    @Override
    public long u64(long offset) {
      return file.get(U64, offset);
    }

    @Override
    public long u32(long offset) {
      return file.get(U32, offset) & 0xFFFF_FFFFL;
    }
  }
}
