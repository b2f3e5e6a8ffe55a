package org.kexecsim.uml.host;

import org.kexecsim.uml.cost.Cost;

/**
 * The host's signals: generation (a tracee stops first and its tracer decides, kernel/signal.c
 * ptrace_signal), delivery to a handler through a frame on the alternate stack (setup_rt_frame),
 * rt_sigreturn, and termination. Part of {@link HostMachine}, which holds the processes.
 */
final class HostSignals {
  private final HostMachine host;

  HostSignals(HostMachine host) {
    this.host = host;
  }

  static Signal signalOf(int number) {
    return switch (number) {
      case 5 -> Signal.SIGTRAP;
      case 9 -> Signal.SIGKILL;
      case 10 -> Signal.SIGUSR1;
      case 12 -> Signal.SIGUSR2;
      case 19 -> Signal.SIGSTOP;
      case 14 -> Signal.SIGALRM;
      default -> throw new IllegalArgumentException("signal " + number + " is not modelled");
    };
  }

  /** sigaction(signal, handler, SA_ONSTACK). */
  void sigaction(HostProcess p, Signal signal, long handler) {
    host.syscallCharge(p);
    p.handlers.put(signal.number(), handler);
  }

  /** sigaltstack: signal frames go below {@code top}. */
  void sigaltstack(HostProcess p, long top) {
    host.syscallCharge(p);
    p.altStackTop = top;
  }

  /** rt_sigreturn: restores the registers saved in the frame at the stack pointer. */
  void sigreturn(HostProcess p) {
    host.syscallCharge(p);
    long f = p.regs.sp();
    int w = host.arch().wordSize();
    long[] v = new long[SigFrame.WORDS];
    for (int i : new int[] {SigFrame.SC_IP, SigFrame.SC_SP, SigFrame.SC_NR, SigFrame.SC_RET}) {
      long pa = host.kernelTranslate(p, f + (long) i * w, false);
      if (pa < 0) {
        terminate(p, new WaitStatus.Killed(p.pid(), new Signal.Sigsegv(new SigContext(f, 0, 14))));
        return;
      }
      v[i] = host.readWord(pa);
    }
    p.regs = new Registers(v[SigFrame.SC_IP], v[SigFrame.SC_SP], v[SigFrame.SC_NR], 0, 0, 0, 0, 0, 0, v[SigFrame.SC_RET]);
  }

  /** Generates {@code s} for {@code p}: a tracee stops first and its tracer decides. */
  void raise(HostProcess p, Signal s) {
    host.ledger().charge(Cost.SIGNAL);
    take(p, s);
  }

  /**
   * kill(2) from another process: a stopped process keeps the signal pending until it runs
   * again; a running one takes it at once.
   */
  void send(HostProcess p, Signal s) {
    if (p.state == HostProcess.State.DEAD) {
      return; // a zombie takes no signal: nothing is generated, nothing charged
    }
    host.ledger().charge(Cost.SIGNAL);
    if (p.state == HostProcess.State.STOPPED || p.report != null) {
      p.pendingSignal = s;
      return;
    }
    take(p, s);
  }

  /** {@code p} takes a signal generated before (raised, or pending since it was stopped). */
  void take(HostProcess p, Signal s) {
    if (s instanceof Signal.Sigkill) {
      terminate(p, new WaitStatus.Killed(p.pid(), s));
      return;
    }
    if (p.tracer != null) {
      // signal-delivery-stop (kernel/signal.c ptrace_signal)
      p.state = HostProcess.State.STOPPED;
      p.stopSignal = s;
      p.report = new WaitStatus.Stopped(p.pid(), s);
      return;
    }
    deliver(p, s);
  }

  void deliver(HostProcess p, Signal s) {
    Long handler = p.handlers.get(s.number());
    if (handler != null) {
      pushFrame(p, s, handler);
      return;
    }
    if (s instanceof Signal.Sigstop) {
      p.state = HostProcess.State.STOPPED;
      return;
    }
    terminate(p, new WaitStatus.Killed(p.pid(), s)); // default action of the others: terminate
  }

  /** setup_rt_frame: the frame goes on the alternate stack when one is set (SA_ONSTACK). */
  private void pushFrame(HostProcess p, Signal s, long handler) {
    int w = host.arch().wordSize();
    long top = p.altStackTop != 0 ? p.altStackTop : p.regs.sp();
    long frame = (top - (long) SigFrame.WORDS * w) & ~15L;
    SigContext ctx = s instanceof Signal.Sigsegv seg ? seg.context() : new SigContext(0, 0, 0);
    long[] words = new long[SigFrame.WORDS];
    words[SigFrame.SIGNO] = s.number();
    words[SigFrame.SC_IP] = p.regs.ip();
    words[SigFrame.SC_SP] = p.regs.sp();
    words[SigFrame.SC_NR] = p.regs.nr();
    words[SigFrame.SC_RET] = p.regs.ret();
    words[SigFrame.SC_ERR] = ctx.err();
    words[SigFrame.SC_TRAPNO] = ctx.trap();
    words[SigFrame.SC_CR2] = ctx.cr2();
    // one translation per page the frame touches (the frame is 16-byte aligned and small)
    long page = -1;
    long pagePa = -1;
    for (int i = 0; i <= SigFrame.SC_CR2; i++) {
      long va = frame + (long) i * w;
      if ((va & ~0xFFFL) != page) {
        page = va & ~0xFFFL;
        pagePa = host.kernelTranslate(p, page, true);
      }
      if (pagePa < 0) {
        // the frame cannot be written: force_sigsegv, the process dies
        terminate(p, new WaitStatus.Killed(p.pid(), new Signal.Sigsegv(ctx)));
        return;
      }
      host.writeWord(pagePa + (va & 0xFFF), words[i]);
    }
    host.ledger().charge(Cost.SIGNAL_HANDLER);
    p.regs = Registers.at(handler, frame).withSyscall(-1, s.number());
  }

  void terminate(HostProcess p, WaitStatus how) {
    if (p.state == HostProcess.State.DEAD) {
      return;
    }
    p.state = HostProcess.State.DEAD;
    p.pendingSignal = null;
    HostAddressSpace own = host.ownSpaces.remove(p);
    if (own != null) {
      own.destroy();
    }
    if (p.tracer != null) {
      p.report = how;
    } else {
      host.processes.remove(p.pid());
    }
  }
}
