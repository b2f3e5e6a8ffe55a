package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.Code;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Signal;

/**
 * The stub of today's ptrace mode (arch/um/kernel/skas/stub.c stub_syscall_handler): runs the
 * queued struct stub_syscall entries of its data page in order, one per step, stops at the first
 * failure (err, syscall_data_len = index) and ends with int3, so the kernel's wait4 sees a
 * SIGTRAP. The stack pointer is the cursor over the entries.
 */
final class QueueStub implements Code {
  private static final long MAP_SHARED_FIXED = 0x01 | 0x10;

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    int w = arch.wordSize();
    long data = PtraceDriver.dataVa(arch);
    long header = host.userTranslate(p, data, true);
    if (header < 0) {
      return true;
    }
    long len = host.readWord(header + StubQueue.LEN * (long) w);
    long first = data + StubQueue.entriesOffset(arch);
    long index = (p.regs().sp() - first) / StubQueue.entrySize(arch);
    if (index >= len) {
      host.raise(p, Signal.SIGTRAP); // int3
      return true;
    }
    long e = host.userTranslate(p, p.regs().sp(), false);
    if (e < 0) {
      return true;
    }
    StubQueue.Entry entry = StubQueue.read(host.memory(), e, arch);
    long nr = switch (entry.type()) {
      case StubQueue.MMAP -> arch.nr(Syscall.MMAP);
      case StubQueue.MUNMAP -> arch.nr(Syscall.MUNMAP);
      case StubQueue.MPROTECT -> arch.nr(Syscall.MPROTECT);
      default -> -1;
    };
    long ret;
    if (nr < 0) {
      ret = -95; // EOPNOTSUPP: an unknown entry type stops the run
    } else {
      long off = arch == HostArch.I386 ? entry.offset() >>> 12 : entry.offset();
      host.syscallInstruction(p, nr, entry.addr(), entry.length(), entry.prot(), MAP_SHARED_FIXED, entry.fd(), off);
      if (p.state() != HostProcess.State.RUNNING) {
        return true;
      }
      ret = w == 8 ? p.regs().ret() : (int) p.regs().ret();
    }
    if (ret < 0 && ret > -4096) {
      host.writeWord(header + StubQueue.ERR * (long) w, ret);
      host.writeWord(header + StubQueue.LEN * (long) w, index);
      host.raise(p, Signal.SIGTRAP);
      return true;
    }
    p.setRegs(p.regs().withSp(p.regs().sp() + StubQueue.entrySize(arch)));
    return true;
  }
}
