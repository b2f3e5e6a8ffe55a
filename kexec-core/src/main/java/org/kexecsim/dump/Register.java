package org.kexecsim.dump;

/**
 * The CPU registers a dump can record. General-purpose registers use their 64-bit names; an
 * i386 note's eax is stored as {@link #RAX}. {@link #ORIG_RAX} is the syscall number slot of
 * {@code struct pt_regs}. EFER appears in no dump format; a writer may be told it so that it can
 * describe long mode (the L bit of CS in a QEMU note).
 */
public enum Register {
  RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP,
  R8, R9, R10, R11, R12, R13, R14, R15,
  RIP, RFLAGS, ORIG_RAX,
  CS, DS, ES, FS, GS, SS,
  FS_BASE, GS_BASE,
  CR0, CR2, CR3, CR4,
  EFER
}
