package org.kexecsim.uml.host;

/** One thing a guest program does in user mode that the host can see. */
public sealed interface UserStep {
  /** A load or store of one byte; a store writes {@code value}. */
  record Access(long address, boolean write, int value) implements UserStep {}

  /** A system call instruction with its number and arguments. */
  record SyscallInsn(long nr, long a0, long a1, long a2, long a3) implements UserStep {}
}
