package org.kexecsim.uml.host;

import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.uml.cost.Cost;

/**
 * ptrace and wait4 on the host: attach, resume (CONT, SYSCALL, SYSEMU), registers and memory
 * peeks and pokes, the skas3 patch's FAULTINFO and SWITCH_MM, and running a tracee step by step
 * until it has something to report. Part of {@link HostMachine}.
 */
final class HostPtrace {
  private final HostMachine host;

  HostPtrace(HostMachine host) {
    this.host = host;
  }

  /** PTRACE_TRACEME, made by the child. */
  void traceMe(HostProcess child, HostProcess tracer) {
    host.switchTo(child);
    host.ledger().charge(Cost.PTRACE);
    child.tracer = tracer;
  }

  PtraceReply ptrace(HostProcess caller, PtraceRequest request) {
    PtraceReply r = request(caller, request);
    host.elapse(false); // the call's time, after its effect: a tick then finds a resumed child running
    return r;
  }

  private PtraceReply request(HostProcess caller, PtraceRequest request) {
    host.switchTo(caller);
    host.ledger().charge(Cost.PTRACE);
    HostProcess c = host.process(request.pid());
    if (request instanceof PtraceRequest.Attach) {
      c.tracer = caller;
      host.signals.raise(c, Signal.SIGSTOP);
      return PtraceReply.DONE;
    }
    if (c.tracer != caller || c.state != HostProcess.State.STOPPED) {
      throw new IllegalStateException(String.format(
          "ptrace %s on %s: not a stopped tracee of %s (ESRCH)", request, c, caller));
    }
    return switch (request) {
      case PtraceRequest.Attach a -> throw new AssertionError(a);
      case PtraceRequest.Cont r -> resume(c, HostProcess.Resume.CONT, r.signal());
      case PtraceRequest.Syscall r -> resume(c, HostProcess.Resume.SYSCALL, r.signal());
      case PtraceRequest.Sysemu r -> resume(c, HostProcess.Resume.SYSEMU, null);
      case PtraceRequest.GetRegs r -> new PtraceReply.Regs(c.regs);
      case PtraceRequest.SetRegs r -> {
        c.regs = r.regs();
        yield PtraceReply.DONE;
      }
      case PtraceRequest.PeekData r -> new PtraceReply.Word(host.readWord(forceTranslate(c, r.address())));
      case PtraceRequest.PokeData r -> {
        host.writeWord(forceTranslate(c, r.address()), r.value());
        yield PtraceReply.DONE;
      }
      case PtraceRequest.GetXstate r -> PtraceReply.DONE; // the model keeps no FPU state
      case PtraceRequest.SetXstate r -> PtraceReply.DONE;
      case PtraceRequest.ArchPrctl r -> PtraceReply.DONE;
      case PtraceRequest.SetOptions r -> PtraceReply.DONE;
      case PtraceRequest.GetSiginfo r -> new PtraceReply.Siginfo(c.stopSignal);
      case PtraceRequest.Kill r -> {
        host.signals.terminate(c, new WaitStatus.Killed(c.pid(), Signal.SIGKILL));
        yield PtraceReply.DONE;
      }
      case PtraceRequest.FaultInfo r -> {
        host.requirePatch("PTRACE_FAULTINFO");
        yield new PtraceReply.Fault(c.lastFault.isWrite(), c.lastFault.cr2());
      }
      case PtraceRequest.SwitchMm r -> {
        host.requirePatch("PTRACE_SWITCH_MM");
        c.space = r.handle().space();
        yield PtraceReply.DONE;
      }
    };
  }

  /** access_process_vm with FOLL_FORCE: reads the tables whatever the page's rights. */
  private long forceTranslate(HostProcess c, long va) {
    long r = host.walker.walk(c.space.paging(), va, Access.READ, false);
    if (PageWalker.isFault(r)) {
      throw new IllegalStateException(String.format("ptrace peek/poke at 0x%x of %s: not mapped (EIO)", va, c));
    }
    return r;
  }

  private PtraceReply resume(HostProcess c, HostProcess.Resume how, Signal signal) {
    c.resume = how;
    if (signal != null && !signal.equals(c.stopSignal)) {
      host.ledger().charge(Cost.SIGNAL); // the tracer injects a signal the child did not have
    }
    c.stopSignal = null; // a stop's own signal is suppressed unless passed back in
    c.state = HostProcess.State.RUNNING;
    if (c.atSyscallEntry) {
      c.atSyscallEntry = false;
      if (signal == null) {
        c.pendingSyscall = true;
      } else {
        // the call completes before the signal is delivered on the way back to user mode
        Registers r = c.regs;
        c.regs = r.withRet(host.execute(c, r.nr(), new long[] {r.a0(), r.a1(), r.a2(), r.a3(), r.a4(), r.a5()}));
      }
    }
    if (signal != null) {
      host.signals.deliver(c, signal);
    }
    return PtraceReply.DONE;
  }

  /**
   * wait4 on a tracee: runs it (and only it) until it stops, exits or runs out of user code.
   * A returned stop is one round trip: the caller resumed the child and now has it back.
   */
  WaitStatus wait(HostProcess caller, int pid) {
    HostProcess c = host.process(pid);
    if (c.report == null && c.state == HostProcess.State.RUNNING) {
      host.switchTo(c);
      run(c);
    }
    if (c.report != null) {
      WaitStatus w = c.report;
      c.report = null;
      host.switchTo(caller);
      // in the model only the clock tick sends SIGALRM: that stop and its round trip are the tick's
      boolean tick = w instanceof WaitStatus.Stopped(int spid, Signal.Sigalrm a);
      if (tick) {
        host.ledger().beginTick();
      }
      host.ledger().charge(Cost.HOST_SYSCALL);
      host.ledger().charge(Cost.WAIT4);
      if (w instanceof WaitStatus.Stopped || w instanceof WaitStatus.SyscallStop) {
        host.ledger().charge(Cost.ROUND_TRIP);
      } else {
        host.processes.remove(pid); // reaped
      }
      if (tick) {
        host.ledger().endTick();
      }
      host.elapse(true);
      return w;
    }
    if (c.state != HostProcess.State.RUNNING) {
      throw new IllegalStateException("wait4 on " + c + " would block forever: stopped with nothing to report");
    }
    return new WaitStatus.StillRunning(pid);
  }

  /** Runs {@code c} step by step while it is runnable and has something to do. */
  private void run(HostProcess c) {
    while (step(c)) {
      // one step at a time; a scheduler interleaving processes calls step() itself
    }
  }

  /**
   * Executes one step of {@code c} (a pending system call, one stub record, one user access):
   * the unit a scheduler interleaves, e.g. two host threads sharing an address space. Returns
   * false when {@code c} is stopped, dead, waiting to be reaped or out of work.
   */
  boolean step(HostProcess c) {
    if (c.state != HostProcess.State.RUNNING || c.report != null) {
      return false;
    }
    host.switchTo(c);
    if (c.pendingSyscall) {
      c.pendingSyscall = false;
      Registers r = c.regs;
      c.regs = r.withRet(host.execute(c, r.nr(), new long[] {r.a0(), r.a1(), r.a2(), r.a3(), r.a4(), r.a5()}));
      return true;
    }
    if (c.pendingSignal != null) { // on the way back to user mode (kernel/signal.c get_signal)
      Signal s = c.pendingSignal;
      c.pendingSignal = null;
      host.signals.take(c, s);
      return true;
    }
    Code code = host.codeByIp.get(c.regs.ip());
    if (code == null) {
      long pa = host.translateOrFault(c, c.regs.ip(), Access.USER | Access.FETCH);
      if (pa < 0) {
        return true; // the fetch faulted: SIGSEGV is raised
      }
      code = host.codeByPhysical.get(pa);
      if (code == null) {
        return UserCpu.step(host, c); // machine code: the stubs
      }
    }
    return code.step(host, c);
  }
}
