package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/** A guest thread's one system call instruction; under PTRACE_SYSEMU it stops for UML. */
final class GuestSyscall implements GuestCode {
  private final Syscall call;
  private final long[] args;
  private boolean done;

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
  public boolean finished() {
    return done;
  }

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    if (done) {
      return false;
    }
    done = true;
    host.syscallInstruction(p, host.arch().nr(call), args);
    return true;
  }
}
