package org.kexecsim.uml.mode;

import java.util.HashMap;
import java.util.Map;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.PtraceReply;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.SigFrame;
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
 * tt mode (seed: the 2002 skas announcement; arch/um/kernel/tt/tracer.c, tt/syscall_user.c). The
 * kernel is mapped at the top of every host process, writable by it; a tracing thread ptraces
 * them all. A system call stops at entry, is nullified to getpid and continued with SIGUSR2,
 * whose handler runs the UML kernel inside the process; going back to user mode is a SIGUSR1 stop
 * so the tracer turns tracing back on. A fault is delivered to the in-process SIGSEGV handler,
 * which maps the page with its own mmap calls. The in-process kernel's work is done here, charged
 * to the process that does it.
 */
public final class TtDriver implements ModeDriver {
  /** The kernel's half gigabyte at the top of the process ("the top .5G", seed). */
  public static final long KERNEL_SPAN = 512L << 20;
  /** The in-process handler's offset in the kernel's text (in physmem). */
  static final long HANDLER_OFFSET = 0x3000;

  private HostProcess tracer;
  private final Map<GuestMm, Long> kernelStacks = new HashMap<>();

  @Override
  public String kernelProcessName() {
    return "uml-tracing-thread";
  }

  /** Where the kernel is mapped in every process. */
  public static long kernelBase(HostArch a) {
    return a.hostTop() - KERNEL_SPAN;
  }

  @Override
  public void boot(UmlKernel k) {
    tracer = k.kernelProcess();
    HostMachine host = k.host();
    // The handler is UML kernel code; its work is driven from this class, so running it idles.
    host.installCode(host.physmem().hostPhysical(HANDLER_OFFSET), (h, p) -> false);
  }

  @Override
  public long taskSize(UmlKernel k) {
    return kernelBase(k.arch());
  }

  @Override
  public void initContext(UmlKernel k, GuestMm mm, GuestMm parent) {
    HostMachine host = k.host();
    HostArch a = k.arch();
    long base = kernelBase(a);
    HostProcess h;
    if (parent != null) {
      // fork in tt is a host fork: the child inherits every mapping, the kernel's included;
      // its own pages are then mapped over the parent's by the first flush
      h = host.fork(host.process(parent.hostPid()), "uml-tt-mm" + mm.id());
    } else {
      // exec and boot: a fresh host process with the whole kernel (image and physmem) at the
      // top, read-write: the insecurity
      h = host.spawn(tracer, "uml-tt-mm" + mm.id());
      host.syscall(h, Syscall.MMAP, base, host.physmem().size(), Prot.RWX, 0x11, Physmem.FD, 0);
    }
    long stack = k.frames().allocateZeroed();
    kernelStacks.put(mm, stack);
    host.sigaltstack(h, base + stack + 4096);
    host.sigaction(h, new Signal.Sigsegv(null), base + HANDLER_OFFSET);
    host.sigaction(h, Signal.SIGUSR2, base + HANDLER_OFFSET);
    host.ptrace(tracer, new PtraceRequest.Attach(h.pid()));
    host.wait(tracer, h.pid());
    mm.setHostPid(h.pid());
  }

  @Override
  public void destroyContext(UmlKernel k, GuestMm mm) {
    k.host().killAndReap(tracer, mm.hostPid());
    Long stack = kernelStacks.remove(mm);
    if (stack != null) {
      k.frames().free(stack);
    }
  }

  @Override
  public void attach(UmlKernel k, GuestProcess p) {
    ModeDriver.super.attach(k, p);
    p.setInKernel(false);
  }

  @Override
  public void switchTo(UmlKernel k, GuestProcess from, GuestProcess to) {
    HostMachine host = k.host();
    host.pipeSwitch(host.process(from.hostPid()), host.process(to.hostPid()));
  }

  @Override
  public KernelEntry runUser(UmlKernel k, GuestProcess p) {
    HostMachine host = k.host();
    HostProcess h = host.process(p.hostPid());
    int w = k.arch().wordSize();
    if (p.inKernel()) {
      // return to user mode from the in-process handler
      flushInProcess(k, p.mm(), h);
      host.storeWord(h, h.regs().sp() + (long) SigFrame.SC_RET * w, p.regs().ret());
      host.syscall(h, Syscall.KILL, h.pid(), Signal.SIGUSR1.number()); // SIGUSR1 to itself: tracer, trace me again
      host.wait(tracer, h.pid());
      host.ptrace(tracer, new PtraceRequest.Syscall(h.pid(), null));
      host.sigreturn(h);
      p.setInKernel(false);
      p.setRunning(true);
    } else if (!p.running()) {
      flushInProcess(k, p.mm(), h);
      host.ptrace(tracer, new PtraceRequest.SetRegs(h.pid(), p.regs()));
      host.ptrace(tracer, new PtraceRequest.Syscall(h.pid(), null));
      p.setRunning(true);
    }
    WaitStatus st = host.wait(tracer, h.pid());
    switch (st) {
      case WaitStatus.StillRunning s -> {
        return new KernelEntry.Idle();
      }
      case WaitStatus.SyscallStop s -> {
        p.setRunning(false);
        Registers regs = ((PtraceReply.Regs) host.ptrace(tracer, new PtraceRequest.GetRegs(h.pid()))).regs();
        // nullify the host call (it becomes getpid) and enter the kernel through SIGUSR2
        host.ptrace(tracer, new PtraceRequest.SetRegs(h.pid(), regs.withSyscall(k.arch().nr(Syscall.GETPID))));
        host.ptrace(tracer, new PtraceRequest.Cont(h.pid(), Signal.SIGUSR2));
        p.setInKernel(true);
        return new KernelEntry.Syscall(regs);
      }
      case WaitStatus.Stopped(int pid, Signal.Sigsegv seg) -> {
        p.setRunning(false);
        host.ptrace(tracer, new PtraceRequest.Cont(h.pid(), seg));
        p.setInKernel(true);
        // the in-process handler reads the sigcontext the host wrote on the kernel stack
        long frame = h.regs().sp();
        long err = host.loadWord(h, frame + (long) SigFrame.SC_ERR * w);
        long trap = host.loadWord(h, frame + (long) SigFrame.SC_TRAPNO * w);
        long cr2 = host.loadWord(h, frame + (long) SigFrame.SC_CR2 * w);
        return new KernelEntry.PageFault(cr2, (err & 2) != 0, (int) trap);
      }
      default -> throw new IllegalStateException("unexpected " + st + " from " + h);
    }
  }

  /** The in-process kernel changes its own address space directly: one host call per op. */
  private static void flushInProcess(UmlKernel k, GuestMm mm, HostProcess h) {
    HostMachine host = k.host();
    long shift = k.arch() == HostArch.I386 ? 12 : 0;
    for (HostOp op : FixRange.collect(mm)) {
      long r = switch (op) {
        case HostOp.Map m -> host.syscall(h, Syscall.MMAP, m.va(), m.len(), m.prot(), 0x11, Physmem.FD, m.offset() >>> shift);
        case HostOp.Unmap u -> host.syscall(h, Syscall.MUNMAP, u.va(), u.len());
        case HostOp.Protect x -> host.syscall(h, Syscall.MPROTECT, x.va(), x.len(), x.prot());
      };
      if (r < 0 && r > -4096) {
        throw new IllegalStateException("in-process " + op + " failed: " + r);
      }
    }
  }
}
