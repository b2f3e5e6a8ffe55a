package org.kexecsim.uml.kernel;

import org.kexecsim.uml.host.Registers;

/** Why the UML kernel got control back from a guest process (what userspace() dispatches on). */
public sealed interface KernelEntry {
  /** A system call, with the registers at entry. */
  record Syscall(Registers regs) implements KernelEntry {}

  /** A page fault, from whatever source the mode has (PTRACE_FAULTINFO, the stub, a sigcontext). */
  record PageFault(long address, boolean write, int trap) implements KernelEntry {}

  /** The process ran all the user code it had without entering the kernel. */
  record Idle() implements KernelEntry {}
}
