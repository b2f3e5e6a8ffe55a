package org.kexecsim.dump;

/**
 * ELFCLASS32 or ELFCLASS64 (ELF gABI "e_ident[EI_CLASS]"): the width of header fields and the
 * sizes of the ELF header and of one program header.
 */
public enum ElfClass {
  ELF32(1, 52, 32),
  ELF64(2, 64, 56);

  private final int eiClass;
  private final int ehdrSize;
  private final int phdrSize;

  ElfClass(int eiClass, int ehdrSize, int phdrSize) {
    this.eiClass = eiClass;
    this.ehdrSize = ehdrSize;
    this.phdrSize = phdrSize;
  }

  /** The value of e_ident[EI_CLASS]. */
  public int eiClass() {
    return eiClass;
  }

  /** sizeof(Elf32_Ehdr) = 52, sizeof(Elf64_Ehdr) = 64. */
  public int ehdrSize() {
    return ehdrSize;
  }

  /** sizeof(Elf32_Phdr) = 32, sizeof(Elf64_Phdr) = 56. */
  public int phdrSize() {
    return phdrSize;
  }

  /** The largest value an address or offset field of this class holds. */
  public long maxField() {
    return this == ELF32 ? 0xFFFF_FFFFL : -1L;
  }
}
