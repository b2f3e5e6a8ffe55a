package org.kexecsim.uml.host;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.ReadableMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * The host architectures UML ran on, with the constants the model needs. Stub addresses are the
 * 2.6.13 defaults (arch/um/Kconfig.x86_64 and Kconfig.i386: STUB_CODE, STUB_DATA at the top of
 * the host process, right above the stack). PGDIR_SIZE is UML's, not the host's: 2.6.13 UML used
 * 3-level tables on x86_64 (include/asm-um/pgtable-3level.h, PGDIR_SHIFT 30) and 2-level on i386
 * (pgtable-2level.h, PGDIR_SHIFT 22); on the model's 4-level tables a 1 GiB span is a PDPTE's.
 */
public enum HostArch {
  X86_64(PagingMode.LEVEL4, 8, 0x7f_bfff_e000L, 0x7f_c000_0000L, 1L << 30, 1L << 21,
      0x40_0000L, new int[] {9, 11, 10, 62, 39, 60, 57, 59, 24, 61}),
  I386(PagingMode.BITS32, 4, 0xbfff_e000L, 0xc000_0000L, 1L << 22, 1L << 22,
      0x0804_8000L, new int[] {192, 91, 125, 37, 20, 1, 2, 11, 158, 114});

  private final PagingMode paging;
  private final int wordSize;
  private final long stubCode;
  private final long hostTop;
  private final long pgdirSize;
  private final long pteSpan;
  private final long textStart;
  private final int[] nr;

  HostArch(PagingMode paging, int wordSize, long stubCode, long hostTop, long pgdirSize,
      long pteSpan, long textStart, int[] nr) {
    this.paging = paging;
    this.wordSize = wordSize;
    this.stubCode = stubCode;
    this.hostTop = hostTop;
    this.pgdirSize = pgdirSize;
    this.pteSpan = pteSpan;
    this.textStart = textStart;
    this.nr = nr;
  }

  public PagingMode paging() {
    return paging;
  }

  /** Bytes in a register, a stub record word, a PTE. */
  public int wordSize() {
    return wordSize;
  }

  /** The word (unsigned long: a register, a stub record word, a PTE) at {@code at}; zero-extended on i386. */
  public long readWord(ReadableMemory m, long at) {
    return wordSize == 8 ? m.readU64(at) : m.readU32(at);
  }

  /** Stores the low {@link #wordSize} bytes of {@code value} at {@code at}. */
  public void writeWord(PhysicalMemory m, long at, long value) {
    if (wordSize == 8) {
      m.writeU64(at, value);
    } else {
      m.writeU32(at, value);
    }
  }

  /** STUB_CODE: the page holding the syscall stub and the SIGSEGV handler. */
  public long stubCode() {
    return stubCode;
  }

  /** STUB_DATA: the page right above the code page; handler stack and batch buffer. */
  public long stubData() {
    return stubCode + 4096;
  }

  /** STUB_END, also the top of the host process's usable space in the model. */
  public long hostTop() {
    return hostTop;
  }

  /** UML's PGDIR_SIZE (see class comment). */
  public long pgdirSize() {
    return pgdirSize;
  }

  /** The span one PTE page maps: PMD_SIZE (2 MiB) on x86_64, a PGD entry (4 MiB) on i386. */
  public long pteSpan() {
    return pteSpan;
  }

  /** Where a static binary's text starts (the ELF default load address). */
  public long textStart() {
    return textStart;
  }

  /** Whether the paging mode has an execute-disable bit. */
  public boolean hasNx() {
    return paging != PagingMode.BITS32;
  }

  /** The host's (and guest's) system call number. */
  public int nr(Syscall s) {
    return nr[s.ordinal()];
  }

  public Syscall syscallOf(long number) {
    for (Syscall s : Syscall.values()) {
      if (nr[s.ordinal()] == number) {
        return s;
      }
    }
    return null;
  }

  /**
   * The system calls the model knows, numbered per arch (arch/x86/entry/syscalls/syscall_64.tbl,
   * syscall_32.tbl; i386 maps with mmap2, offset in pages).
   */
  public enum Syscall {
    MMAP, MUNMAP, MPROTECT, KILL, GETPID, EXIT, FORK, EXECVE, SCHED_YIELD, WAIT4
  }
}
