package org.kexecsim.uml.host;

/** What wait4 reports about a traced child. */
public sealed interface WaitStatus {
  int pid();

  /** Signal-delivery-stop (or group stop): the child stopped with {@code signal} pending. */
  record Stopped(int pid, Signal signal) implements WaitStatus {}

  /** Stopped at a system call entry (PTRACE_SYSCALL / PTRACE_SYSEMU). */
  record SyscallStop(int pid, long nr) implements WaitStatus {}

  record Exited(int pid, int code) implements WaitStatus {}

  record Killed(int pid, Signal signal) implements WaitStatus {}

  /**
   * The child ran all the user code it was given without entering the kernel: a real wait4 would
   * block until its next entry, which belongs to the next guest operation.
   */
  record StillRunning(int pid) implements WaitStatus {}
}
