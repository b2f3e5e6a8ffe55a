package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.Code;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.Signal;

/**
 * 6.1's stub_clone_handler (arch/um/kernel/skas/clone.c, used by copy_context_skas0 until 6.11):
 * the stopped parent's stub forks on the host; the child maps its own data pages at the offsets
 * the kernel left in the parent's data area (words 0 and 1) and traps to the kernel; the parent
 * stores the child's pid in its err word and traps too.
 */
final class CloneStub implements Code {
  private final HostProcess kernel;

  CloneStub(HostProcess kernel) {
    this.kernel = kernel;
  }

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    int w = arch.wordSize();
    long data = PtraceDriver.dataVa(arch);
    long header = host.userTranslate(p, data, true);
    if (header < 0) {
      return true;
    }
    long off0 = host.readWord(header + (long) StubQueue.OFFSET * w);
    long off1 = host.readWord(header + (long) StubQueue.ERR * w);
    HostProcess child = host.fork(p, "uml-userspace");
    long shift = arch == HostArch.I386 ? 12 : 0;
    host.syscall(child, Syscall.MMAP, data, 4096, Prot.RW, 0x11, Physmem.FD, off0 >>> shift);
    host.syscall(child, Syscall.MMAP, data + 4096, 4096, Prot.RW, 0x11, Physmem.FD, off1 >>> shift);
    host.trapToTracer(child, kernel);
    host.writeWord(header + (long) StubQueue.ERR * w, child.pid());
    host.raise(p, Signal.SIGTRAP); // int3
    return true;
  }
}
