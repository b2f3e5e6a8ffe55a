package org.kexecsim.elf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The unsigned fields of an ELF file mapped in memory, little-endian (ELFDATA2LSB, x86's data
 * encoding): the one reader of header, section, program-header and symbol fields. The caller
 * checks that an offset lies in the file.
 */
public record ElfFields(MemorySegment segment) {
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  public int u8(long at) {
    return segment.get(ValueLayout.JAVA_BYTE, at) & 0xff;
  }

  public int u16(long at) {
    return segment.get(U16, at) & 0xffff;
  }

  public long u32(long at) {
    return segment.get(U32, at) & 0xffff_ffffL;
  }

  public long u64(long at) {
    return segment.get(U64, at);
  }
}
