package org.kexecsim.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An ELF note as the kernel appends it (kernel/crash_core.c append_elf_note): n_namesz,
 * n_descsz, n_type (three u32, the same in ELF32 and ELF64), the NUL-terminated name and the
 * descriptor, each padded to 4 bytes. final_note() ends a buffer with a header of zeros.
 */
public record ElfNote(String name, int type, byte[] desc) {
  /** NT_PRSTATUS: a CPU's registers (include/uapi/linux/elf.h). */
  public static final int NT_PRSTATUS = 1;

  public ElfNote {
    desc = desc.clone();
  }

  @Override
  public byte[] desc() {
    return desc.clone();
  }

  /** Bytes this note takes, header and padding included. */
  public int size() {
    return 12 + pad4(name.length() + 1) + pad4(desc.length);
  }

  /** The note followed by the empty final note. */
  public byte[] withFinalNote() {
    ByteBuffer b = ByteBuffer.allocate(size() + 12).order(ByteOrder.LITTLE_ENDIAN);
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    b.putInt(n.length + 1).putInt(desc.length).putInt(type);
    b.put(n).put((byte) 0);
    b.position(12 + pad4(n.length + 1));
    b.put(desc);
    return b.array();
  }

  static int pad4(int n) {
    return (n + 3) & ~3;
  }
}
