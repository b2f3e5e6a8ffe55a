package org.kexecsim.uml.host;

/**
 * ptrace(2) requests the model implements. FAULTINFO and SWITCH_MM exist only on a host with the
 * skas3 patch (arch/um/include/skas_ptrace.h: PTRACE_FAULTINFO 52, PTRACE_SWITCH_MM 55).
 */
public sealed interface PtraceRequest {
  int pid();

  record Attach(int pid) implements PtraceRequest {}

  /** Resume; {@code signal} (may be null) is delivered, a stop's own signal otherwise suppressed. */
  record Cont(int pid, Signal signal) implements PtraceRequest {}

  /** Resume, stopping at the next system call entry (the call then runs when resumed). */
  record Syscall(int pid, Signal signal) implements PtraceRequest {}

  /** Resume, stopping at the next system call entry; the call is never executed (PTRACE_SYSEMU). */
  record Sysemu(int pid) implements PtraceRequest {}

  record GetRegs(int pid) implements PtraceRequest {}

  record SetRegs(int pid, Registers regs) implements PtraceRequest {}

  /** Reads one word of the child's memory. */
  record PeekData(int pid, long address) implements PtraceRequest {}

  /** Writes one word of the child's memory, even through a read-only mapping (FOLL_FORCE). */
  record PokeData(int pid, long address, long value) implements PtraceRequest {}

  /** PTRACE_GETREGSET NT_X86_XSTATE: the FPU/vector state (6.1+ UML saves it on every entry). */
  record GetXstate(int pid) implements PtraceRequest {}

  /** PTRACE_SETREGSET NT_X86_XSTATE. */
  record SetXstate(int pid) implements PtraceRequest {}

  /** PTRACE_GETSIGINFO: the siginfo of the signal the child stopped with. */
  record GetSiginfo(int pid) implements PtraceRequest {}

  /** PTRACE_ARCH_PRCTL (x86_64): sets the child's FS base, as UML's arch_switch_to does. */
  record ArchPrctl(int pid) implements PtraceRequest {}

  /** PTRACE_SETOPTIONS (6.1 sends it as PTRACE_OLDSETOPTIONS) on a new stub process. */
  record SetOptions(int pid) implements PtraceRequest {}

  /** PTRACE_KILL. */
  record Kill(int pid) implements PtraceRequest {}

  /** skas3: the child's last fault, {is_write, addr}. */
  record FaultInfo(int pid) implements PtraceRequest {}

  /** skas3: makes the child run in the address space behind a /proc/mm handle. */
  record SwitchMm(int pid, ProcMm handle) implements PtraceRequest {}
}
