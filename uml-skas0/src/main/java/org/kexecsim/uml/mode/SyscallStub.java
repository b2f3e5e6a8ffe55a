package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.Code;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/**
 * What the skas0 syscall stub does when a host process executes it (seed: "it repeatedly pops the
 * information into its registers and makes the system call until it sees a system call number of
 * zero ... it SIGSTOPs itself"). One step is one record, read through the host MMU from the data
 * page at the stack pointer, so another thread changing those bytes mid-batch changes what runs.
 * The stub also stops at the first failing call, after storing its return value.
 */
final class SyscallStub implements Code {
  @Override
  public boolean step(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    int w = arch.wordSize();
    long sp = p.regs().sp();
    long pa = host.userTranslate(p, sp, false);
    if (pa < 0) {
      return true;
    }
    long nr = host.readWord(pa);
    if (nr == 0) {
      stopSelf(host, p);
      return true;
    }
    long[] args = new long[6];
    for (int i = 0; i < 6; i++) {
      args[i] = host.readWord(pa + (long) (i + 1) * w);
    }
    p.setRegs(p.regs().withSp(sp + (long) StubPages.RECORD_WORDS * w));
    host.syscallInstruction(p, nr, args);
    if (p.state() != HostProcess.State.RUNNING) {
      return true; // e.g. a successful execve: the stub is gone with the old image
    }
    long ret = signExtend(p.regs().ret(), w);
    long status = host.userTranslate(p, arch.stubData() + StubPages.BATCH_DONE, true);
    if (status < 0) {
      return true;
    }
    host.writeWord(status, host.readWord(status) + 1);
    host.writeWord(status + (StubPages.BATCH_RET - StubPages.BATCH_DONE), ret);
    if (ret < 0 && ret > -4096) {
      stopSelf(host, p);
    }
    return true;
  }

  static long signExtend(long v, int w) {
    return w == 8 ? v : (int) v;
  }

  /** kill(getpid(), SIGSTOP): the kernel process's wait4 then returns. */
  static void stopSelf(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    host.syscallInstruction(p, arch.nr(Syscall.GETPID));
    host.syscallInstruction(p, arch.nr(Syscall.KILL), p.regs().ret(), 19);
  }
}
