package org.kexecsim.uml.mode;

import java.util.List;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
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
 * skas0 on a stock host (seed: the skas0 patch). One host process per guest mm, created by
 * userspace_tramp with the two stub pages mapped above the stack; address-space changes run as
 * batches in the stub; faults are reported by the stub's SIGSEGV handler through the data page.
 */
public final class Skas0Driver implements ModeDriver {
  private final Skas0Options options;
  private HostProcess kernel;
  private int capacity;
  private long batchRuns;

  Skas0Driver(Skas0Options options) {
    this.options = options;
  }

  @Override
  public void boot(UmlKernel k) {
    kernel = k.kernelProcess();
    capacity = options.batchCapacity() == 0 ? StubPages.capacity(k.arch()) : options.batchCapacity();
    StubCode.writeTo(k.host().physmem(), k.arch(), false);
  }

  /**
   * TASK_SIZE: two pages below STUB_CODE would do for the ELF loader, but the patch rounds down
   * to a PGDIR_SIZE boundary so no VMA shares a page-table page with the stub (see nr_ptes).
   */
  @Override
  public long taskSize(UmlKernel k) {
    HostArch a = k.arch();
    return options.lowerTaskSize() ? a.stubCode() & -a.pgdirSize() : a.stubCode();
  }

  /** Register sets per stub run. */
  public int batchCapacity() {
    return capacity;
  }

  /** Stub runs made so far, over all processes. */
  public long batchRuns() {
    return batchRuns;
  }

  @Override
  public void initContext(UmlKernel k, GuestMm mm, GuestMm parent) {
    HostMachine host = k.host();
    HostArch a = k.arch();
    mm.initStubPtes(StubPages.CODE_OFFSET);
    if (options.decrementNrPtes()) {
      // "mm->nr_ptes is decremented after the calls to init_stub_pte" (seed): the stub's PTE page
      // is never under a VMA, so exit_mmap will not count it out.
      mm.decrementNrPtes();
    }
    // start_userspace + userspace_tramp (arch/um/os-Linux/skas/process.c): a new host process
    // without CLONE_VM maps the stub pages from physmem, sets the stub handler on the data page
    // as its signal stack, asks to be traced and stops.
    HostProcess h = host.spawn(kernel, "uml-userspace-mm" + mm.id());
    long codeOff = StubPages.CODE_OFFSET;
    long dataOff = mm.stubDataFrame();
    long shift = a == HostArch.I386 ? 12 : 0;
    host.syscall(h, Syscall.MMAP, a.stubCode(), 4096, Prot.READ | Prot.EXEC, 0x11, Physmem.FD, codeOff >>> shift);
    host.syscall(h, Syscall.MMAP, a.stubData(), 4096, Prot.RW, 0x11, Physmem.FD, dataOff >>> shift);
    host.sigaltstack(h, a.stubData() + 4096);
    host.sigaction(h, new Signal.Sigsegv(null), a.stubCode() + StubPages.HANDLER_OFFSET);
    host.traceMe(h, kernel);
    host.syscall(h, Syscall.KILL, h.pid(), Signal.SIGSTOP.number());
    expectStop(host.wait(kernel, h.pid()), h);
    mm.setHostPid(h.pid());
  }

  @Override
  public void destroyContext(UmlKernel k, GuestMm mm) {
    k.host().killAndReap(kernel, mm.hostPid());
  }

  @Override
  public KernelEntry runUser(UmlKernel k, GuestProcess p) {
    HostMachine host = k.host();
    int pid = p.hostPid();
    if (!p.running()) {
      flush(k, p.mm());
      host.ptrace(kernel, new PtraceRequest.SetRegs(pid, p.regs()));
      host.ptrace(kernel, new PtraceRequest.Sysemu(pid));
      p.setRunning(true);
    }
    WaitStatus w = host.wait(kernel, pid);
    switch (w) {
      case WaitStatus.StillRunning s -> {
        return new KernelEntry.Idle();
      }
      case WaitStatus.SyscallStop s -> {
        p.setRunning(false);
        return new KernelEntry.Syscall(regs(host, pid));
      }
      case WaitStatus.Stopped(int spid, Signal.Sigsegv seg) -> {
        p.setRunning(false);
        p.setRegs(regs(host, pid));
        FaultInfo fi = faultInfo(k, p);
        return new KernelEntry.PageFault(fi.cr2(), fi.isWrite(), fi.trapNo());
      }
      default -> throw new IllegalStateException("unexpected " + w + " from " + host.process(pid));
    }
  }

  /**
   * get_skas_faultinfo without PTRACE_FAULTINFO: continue the child with its SIGSEGV so the stub
   * handler runs, wait for its SIGSTOP, read the faultinfo from the data page.
   */
  private FaultInfo faultInfo(UmlKernel k, GuestProcess p) {
    HostMachine host = k.host();
    host.ptrace(kernel, new PtraceRequest.Cont(p.hostPid(), host.process(p.hostPid()).lastFault() == null
        ? null : new Signal.Sigsegv(host.process(p.hostPid()).lastFault())));
    expectStop(host.wait(kernel, p.hostPid()), host.process(p.hostPid()));
    return FaultInfo.read(host.physmem(), p.mm().stubDataFrame(), k.arch());
  }

  private void flush(UmlKernel k, GuestMm mm) {
    List<HostOp> ops = FixRange.collect(mm);
    if (!ops.isEmpty()) {
      HostMachine host = k.host();
      batchRuns += SyscallBatch.run(host, kernel, host.process(mm.hostPid()), mm.stubDataFrame(), ops, capacity);
    }
  }

  private org.kexecsim.uml.host.Registers regs(HostMachine host, int pid) {
    PtraceReply r = host.ptrace(kernel, new PtraceRequest.GetRegs(pid));
    return ((PtraceReply.Regs) r).regs();
  }

  private static void expectStop(WaitStatus w, HostProcess h) {
    if (!(w instanceof WaitStatus.Stopped(int pid, Signal s) && s instanceof Signal.Sigstop)) {
      throw new IllegalStateException(h + " reported " + w + ", expected a SIGSTOP");
    }
  }
}
