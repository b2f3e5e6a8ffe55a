package org.kexecsim.uml.mode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.PtraceReply;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.FixRange;
import org.kexecsim.uml.kernel.GuestMm;
import org.kexecsim.uml.kernel.GuestProcess;
import org.kexecsim.uml.kernel.GuestVma;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.kernel.KernelEntry;
import org.kexecsim.uml.kernel.ModeDriver;
import org.kexecsim.uml.kernel.UmlKernel;

/**
 * Today's ptrace mode, as Debian's 6.1 user-mode-linux runs it (arch/um/os-Linux/skas/process.c
 * userspace, get_skas_faultinfo; arch/um/kernel/skas/mmu.c; uml-anchors.md §1, §5). One host
 * process per guest mm; every kernel entry saves the registers and the xstate
 * (PTRACE_GETREGS, PTRACE_GETREGSET) and every resume restores them (SETREGS, SETREGSET,
 * SYSEMU). A fault also asks PTRACE_GETSIGINFO, saves the xstate again and continues the child
 * with its SIGSEGV into the stub's handler, which writes the faultinfo at the start of the data
 * area and traps (int3). Host address-space changes are queued (≤ 99 entries) and run by the
 * stub between SETREGS+CONT and the int3 it ends with. A new mm is a host fork by the current
 * process's stub (copy_context_skas0) whose first resume states every VMA again, one stub run
 * each (force_flush_all). Layout: one code page, then two data pages ending at STUB_END.
 * With a clock ({@link org.kexecsim.uml.host.Ticks}), the tick um_timer relays to the current
 * process stops it with SIGALRM at its next resume: in userspace() that costs GETREGS,
 * GETREGSET, SETREGS, SETREGSET, SYSEMU and a wait4; in wait_stub_done a CONT and a wait4 (what
 * the live trace shows, scripts/uml-live-oracle.sh); a tick while the UML kernel is blocked in
 * wait4: {@link org.kexecsim.uml.host.HostProcess#pendingSignal}.
 */
public final class PtraceDriver implements ModeDriver {
  static final int HANDLER_OFFSET = StubCode.HANDLER;
  static final int CLONE_OFFSET = StubCode.CLONE;

  private HostProcess kernel;
  private GuestProcess lastRun;
  private final Map<GuestMm, long[]> dataFrames = new HashMap<>();
  private final Map<GuestMm, Boolean> fresh = new HashMap<>();
  private long stubRuns;

  /** The code page: the page below the two data pages. */
  public static long codeVa(HostArch a) {
    return a.stubCode() - 4096;
  }

  /** The first of the two data pages (struct stub_data, then the signal stack). */
  public static long dataVa(HostArch a) {
    return a.stubCode();
  }

  @Override
  public boolean linux61() {
    return true;
  }

  /** Stub runs made so far (address-space flushes and clones), over all processes. */
  public long stubRuns() {
    return stubRuns;
  }

  @Override
  public void boot(UmlKernel k) {
    kernel = k.kernelProcess();
    StubCode.writeTo(k.host().physmem(), k.arch(), true);
  }

  @Override
  public long taskSize(UmlKernel k) {
    HostArch a = k.arch();
    return codeVa(a) & -a.pgdirSize();
  }

  @Override
  public void initContext(UmlKernel k, GuestMm mm, GuestMm parent) {
    HostMachine host = k.host();
    HostArch a = k.arch();
    long[] frames = {k.frames().allocateZeroed(), k.frames().allocateZeroed()};
    dataFrames.put(mm, frames);
    GuestMm from = parent != null ? parent : k.current() == null ? null : k.current().mm();
    HostProcess child;
    if (from == null || from.hostPid() < 0 || !host.exists(from.hostPid())) {
      // start_userspace: a fresh process maps the stub pages, sets its signal stack and
      // SIGSEGV handler, asks to be traced and stops
      child = host.spawn(kernel, "uml-userspace");
      long shift = a == HostArch.I386 ? 12 : 0;
      host.syscall(child, Syscall.MMAP, codeVa(a), 4096, Prot.READ | Prot.EXEC, 0x11, Physmem.FD, StubPages.CODE_OFFSET >>> shift);
      host.syscall(child, Syscall.MMAP, dataVa(a), 4096, Prot.RW, 0x11, Physmem.FD, frames[0] >>> shift);
      host.syscall(child, Syscall.MMAP, dataVa(a) + 4096, 4096, Prot.RW, 0x11, Physmem.FD, frames[1] >>> shift);
      host.sigaltstack(child, dataVa(a) + 8192);
      host.sigaction(child, new Signal.Sigsegv(null), codeVa(a) + HANDLER_OFFSET);
      host.traceMe(child, kernel);
      host.syscall(child, Syscall.KILL, child.pid(), Signal.SIGSTOP.number());
      expect(host.wait(kernel, child.pid()), Signal.SIGSTOP, child);
    } else {
      // copy_context_skas0: the current mm's stub forks; the kernel reads the pid it left
      HostProcess p = host.process(from.hostPid());
      long header = dataFrames.get(from)[0];
      int w = a.wordSize();
      a.writeWord(host.physmem(), header + (long) StubQueue.OFFSET * w, frames[0]);
      a.writeWord(host.physmem(), header + (long) StubQueue.CHILD_ERR * w, frames[1]);
      host.ptrace(kernel, new PtraceRequest.SetRegs(p.pid(), Registers.at(codeVa(a) + CLONE_OFFSET, dataVa(a) + 8192)));
      host.ptrace(kernel, new PtraceRequest.Cont(p.pid(), null));
      waitStubDone(k, p.pid());
      stubRuns++;
      child = host.process((int) a.readWord(host.physmem(), header + (long) StubQueue.ERR * w));
      waitStubDone(k, child.pid());
    }
    host.ptrace(kernel, new PtraceRequest.SetOptions(child.pid()));
    mm.setHostPid(child.pid());
    fresh.put(mm, true);
  }

  @Override
  public void destroyContext(UmlKernel k, GuestMm mm) {
    HostMachine host = k.host();
    // os_kill_ptraced_process: PTRACE_KILL, then reap it
    host.ptrace(kernel, new PtraceRequest.Kill(mm.hostPid()));
    host.wait(kernel, mm.hostPid());
    for (long f : dataFrames.remove(mm)) {
      k.frames().free(f);
    }
    fresh.remove(mm);
  }

  @Override
  public void flushNow(UmlKernel k, GuestMm mm) {
    if (!Boolean.TRUE.equals(fresh.get(mm))) { // a new mm is stated whole at its first resume
      run(k, mm, FixRange.collect(mm));
    }
  }

  @Override
  public KernelEntry runUser(UmlKernel k, GuestProcess p) {
    HostMachine host = k.host();
    int pid = p.hostPid();
    if (!p.running()) {
      if (lastRun != null && lastRun != p) {
        // arch_switch_to: the incoming thread's registers and FS base (PTRACE_ARCH_PRCTL)
        host.ptrace(kernel, new PtraceRequest.SetRegs(pid, p.regs()));
        host.ptrace(kernel, new PtraceRequest.ArchPrctl(pid));
        host.ptrace(kernel, new PtraceRequest.GetRegs(pid));
      }
      lastRun = p;
      GuestMm mm = p.mm();
      if (Boolean.TRUE.equals(fresh.put(mm, false))) {
        for (GuestVma v : mm.vmas()) {
          run(k, mm, FixRange.replay(mm, v.start(), v.end()));
        }
      }
      run(k, mm, FixRange.collect(mm));
      host.ptrace(kernel, new PtraceRequest.SetRegs(pid, p.regs()));
      host.ptrace(kernel, new PtraceRequest.SetXstate(pid));
      host.ptrace(kernel, new PtraceRequest.Sysemu(pid));
      p.setRunning(true);
    }
    WaitStatus w = host.wait(kernel, pid);
    while (w instanceof WaitStatus.Stopped(int spid, Signal.Sigalrm a)) {
      // userspace(): the clock tick's stop. GETREGS and GETREGSET as for every stop, "case
      // SIGALRM: break", and the loop resumes the child: SETREGS, SETREGSET, SYSEMU.
      k.ledger().beginTick();
      try {
        p.setRegs(regs(host, pid));
        host.ptrace(kernel, new PtraceRequest.GetXstate(pid));
        host.ptrace(kernel, new PtraceRequest.SetRegs(pid, p.regs()));
        host.ptrace(kernel, new PtraceRequest.SetXstate(pid));
        host.ptrace(kernel, new PtraceRequest.Sysemu(pid));
      } finally {
        k.ledger().endTick();
      }
      w = host.wait(kernel, pid);
    }
    switch (w) {
      case WaitStatus.StillRunning s -> {
        return new KernelEntry.Idle();
      }
      case WaitStatus.SyscallStop s -> {
        p.setRunning(false);
        Registers r = regs(host, pid);
        host.ptrace(kernel, new PtraceRequest.GetXstate(pid));
        return new KernelEntry.Syscall(r);
      }
      case WaitStatus.Stopped(int spid, Signal.Sigsegv seg) -> {
        p.setRunning(false);
        p.setRegs(regs(host, pid));
        host.ptrace(kernel, new PtraceRequest.GetXstate(pid));
        host.ptrace(kernel, new PtraceRequest.GetSiginfo(pid));
        // get_skas_faultinfo: save the xstate, let the handler run, restore the xstate
        host.ptrace(kernel, new PtraceRequest.GetXstate(pid));
        host.ptrace(kernel, new PtraceRequest.Cont(pid, seg));
        waitStubDone(k, pid);
        host.ptrace(kernel, new PtraceRequest.SetXstate(pid));
        FaultInfo fi = FaultInfo.read(host.physmem(), dataFrames.get(p.mm())[0], k.arch());
        return new KernelEntry.PageFault(fi.cr2(), fi.isWrite(), fi.trapNo());
      }
      default -> throw new IllegalStateException("unexpected " + w + " from " + host.process(pid));
    }
  }

  /** do_syscall_stub: the queue in chunks of 99, one SETREGS + CONT + wait4 (int3) each. */
  private void run(UmlKernel k, GuestMm mm, List<HostOp> ops) {
    HostMachine host = k.host();
    HostArch a = k.arch();
    long frame = dataFrames.get(mm)[0];
    for (int from = 0; from < ops.size(); from += StubQueue.CAPACITY) {
      List<HostOp> chunk = ops.subList(from, Math.min(ops.size(), from + StubQueue.CAPACITY));
      StubQueue.write(host.physmem(), frame, a, chunk);
      int pid = mm.hostPid();
      host.ptrace(kernel, new PtraceRequest.SetRegs(pid, Registers.at(codeVa(a) + StubCode.STUB, dataVa(a) + 8192)));
      host.ptrace(kernel, new PtraceRequest.Cont(pid, null));
      waitStubDone(k, pid);
      stubRuns++;
      int w = a.wordSize();
      long err = a.readWord(host.physmem(), frame + (long) StubQueue.ERR * w);
      if (err != 0) {
        long done = a.readWord(host.physmem(), frame + (long) StubQueue.LEN * w);
        throw new IllegalStateException(String.format("host failed %s in the stub of mm %d: %d",
            chunk.get((int) Math.min(done, chunk.size() - 1)), mm.id(), w == 8 ? err : (int) err));
      }
    }
  }

  /**
   * wait_stub_done (arch/um/os-Linux/skas/process.c, 6.1): a stop for SIGALRM (STUB_SIG_MASK,
   * the clock tick) is continued without the signal and waited for again; the stub ends with
   * SIGTRAP (STUB_DONE_MASK), anything else is fatal.
   */
  private void waitStubDone(UmlKernel k, int pid) {
    HostMachine host = k.host();
    WaitStatus w = host.wait(kernel, pid);
    while (w instanceof WaitStatus.Stopped(int spid, Signal.Sigalrm a)) {
      k.ledger().beginTick();
      try {
        host.ptrace(kernel, new PtraceRequest.Cont(pid, null));
      } finally {
        k.ledger().endTick();
      }
      w = host.wait(kernel, pid);
    }
    expect(w, Signal.SIGTRAP, host.process(pid));
  }

  private Registers regs(HostMachine host, int pid) {
    return ((PtraceReply.Regs) host.ptrace(kernel, new PtraceRequest.GetRegs(pid))).regs();
  }

  private static void expect(WaitStatus w, Signal s, HostProcess h) {
    if (!(w instanceof WaitStatus.Stopped(int pid, Signal got) && got.number() == s.number())) {
      throw new IllegalStateException(h + " reported " + w + ", expected a " + s.name());
    }
  }
}
