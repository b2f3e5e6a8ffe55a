package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/** A guest thread's one system call instruction; under PTRACE_SYSEMU it stops for UML. */
final class GuestSyscall extends OneInstruction {
  private final Syscall call;
  private final long[] args;

  GuestSyscall(Syscall call, long... args) {
    this.call = call;
    this.args = args.clone();
  }

  @Override
  public String next(HostProcess p) {
    StringBuilder sb = new StringBuilder("syscall instruction: ").append(call.name().toLowerCase(java.util.Locale.ROOT)).append('(');
    for (int i = 0; i < args.length; i++) {
      sb.append(i > 0 ? ", " : "").append(String.format("0x%x", args[i]));
    }
    return sb.append(')').toString();
  }

  @Override
  void run(HostMachine host, HostProcess p) {
    completed();
    host.syscallInstruction(p, host.arch().nr(call), args);
  }
}
