package org.kexecsim.dump;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Numbers from the ELF gABI and the Linux/QEMU core-file conventions, and the byte layouts. */
final class ElfConstants {
  private ElfConstants() {}

  static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** e_ident[EI_DATA]: ELFDATA2LSB, little-endian; the only order x86 dumps use. */
  static final int ELFDATA2LSB = 1;
  static final int EV_CURRENT = 1;
  /** e_type of a core file. */
  static final int ET_CORE = 4;
  static final int EM_386 = 3;
  static final int EM_X86_64 = 62;
  static final int PT_LOAD = 1;
  static final int PT_NOTE = 4;
  /** gABI: e_phnum == PN_XNUM means the real count is in sh_info of section header 0. */
  static final int PN_XNUM = 0xFFFF;
  static final int PF_R = 4;
  static final int PF_W = 2;
  static final int PF_X = 1;

  /** include/uapi/linux/elf.h: the register-set note, name "CORE". */
  static final int NT_PRSTATUS = 1;
  /** Size of the note header: n_namesz, n_descsz, n_type, 4 bytes each in both classes. */
  static final int NOTE_HEADER = 12;

  static long align4(long n) {
    return (n + 3) & ~3L;
  }

  static long alignUp(long n, long alignment) {
    return (n + alignment - 1) & -alignment;
  }
}
