package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.ProcMm;
import org.kexecsim.uml.host.PtraceReply;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.FixRange;
import org.kexecsim.uml.kernel.GuestMm;
import org.kexecsim.uml.kernel.GuestProcess;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.kernel.KernelEntry;
import org.kexecsim.uml.kernel.ModeDriver;
import org.kexecsim.uml.kernel.UmlKernel;

/**
 * skas3 on a patched host (seed: the 2002 skas announcement; arch/um/kernel/skas/mem_user.c,
 * process_kern.c). Each guest mm is a /proc/mm handle changed by write()s; one host process per
 * CPU hops between them with PTRACE_SWITCH_MM; faults come from PTRACE_FAULTINFO.
 */
public final class Skas3Driver implements ModeDriver {
  @Override
  public boolean needsSkas3Host() {
    return true;
  }

  private HostProcess kernel;
  private HostProcess cpu;
  private GuestMm cpuMm;

  @Override
  public void boot(UmlKernel k) {
    HostMachine host = k.host();
    kernel = k.kernelProcess();
    // userspace_pid[0]: the one host process that runs every guest process on this CPU
    cpu = host.spawn(kernel, "uml-userspace-cpu0");
    host.traceMe(cpu, kernel);
    host.syscall(cpu, Syscall.KILL, cpu.pid(), Signal.SIGSTOP.number());
    host.wait(kernel, cpu.pid());
  }

  /** The kernel is in its own address space, so processes get the whole host range. */
  @Override
  public long taskSize(UmlKernel k) {
    return k.arch().stubCode();
  }

  @Override
  public void initContext(UmlKernel k, GuestMm mm, GuestMm parent) {
    HostMachine host = k.host();
    ProcMm handle = host.openProcMm(kernel);
    if (parent != null) {
      host.writeProcMm(kernel, handle, new ProcMm.Op.CopySegments(parent.procMm())); // new_mm(from)
    }
    mm.setProcMm(handle);
  }

  @Override
  public void destroyContext(UmlKernel k, GuestMm mm) {
    if (cpuMm == mm) {
      cpuMm = null;
    }
    k.host().closeProcMm(kernel, mm.procMm());
  }

  @Override
  public void attach(UmlKernel k, GuestProcess p) {
    p.setHostPid(cpu.pid());
  }

  @Override
  public KernelEntry runUser(UmlKernel k, GuestProcess p) {
    HostMachine host = k.host();
    if (!p.running()) {
      for (HostOp op : FixRange.collect(p.mm())) {
        long r = host.writeProcMm(kernel, p.mm().procMm(), switch (op) {
          case HostOp.Map m -> new ProcMm.Op.Mmap(m.va(), m.len(), m.prot(), m.offset());
          case HostOp.Unmap u -> new ProcMm.Op.Munmap(u.va(), u.len());
          case HostOp.Protect x -> new ProcMm.Op.Mprotect(x.va(), x.len(), x.prot());
        });
        if (r < 0) {
          throw new IllegalStateException("/proc/mm write " + op + " failed: " + r);
        }
      }
      if (cpuMm != p.mm()) {
        host.ptrace(kernel, new PtraceRequest.SwitchMm(cpu.pid(), p.mm().procMm()));
        cpuMm = p.mm();
      }
      host.ptrace(kernel, new PtraceRequest.SetRegs(cpu.pid(), p.regs()));
      host.ptrace(kernel, new PtraceRequest.Sysemu(cpu.pid()));
      p.setRunning(true);
    }
    WaitStatus w = host.wait(kernel, cpu.pid());
    switch (w) {
      case WaitStatus.StillRunning s -> {
        return new KernelEntry.Idle();
      }
      case WaitStatus.SyscallStop s -> {
        p.setRunning(false);
        return new KernelEntry.Syscall(regs(host));
      }
      case WaitStatus.Stopped(int pid, Signal.Sigsegv seg) -> {
        p.setRunning(false);
        p.setRegs(regs(host));
        var fi = (PtraceReply.Fault) host.ptrace(kernel, new PtraceRequest.FaultInfo(cpu.pid()));
        // struct ptrace_faultinfo has no trap number: every SIGSEGV is taken as a page fault
        return new KernelEntry.PageFault(fi.address(), fi.isWrite(), 14);
      }
      default -> throw new IllegalStateException("unexpected " + w + " from " + cpu);
    }
  }

  private org.kexecsim.uml.host.Registers regs(HostMachine host) {
    return ((PtraceReply.Regs) host.ptrace(kernel, new PtraceRequest.GetRegs(cpu.pid()))).regs();
  }
}
