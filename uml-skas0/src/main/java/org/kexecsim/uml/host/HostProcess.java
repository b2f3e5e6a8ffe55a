package org.kexecsim.uml.host;

import java.util.HashMap;
import java.util.Map;

/** A host process: an address space, registers, signal dispositions and ptrace state. */
public final class HostProcess {
  /** What the process is doing, as the host scheduler sees it. */
  public enum State { RUNNING, STOPPED, DEAD }

  /** How a tracer last resumed it. */
  enum Resume { CONT, SYSCALL, SYSEMU }

  private final int pid;
  private final String name;
  HostAddressSpace space;
  Registers regs = Registers.at(0, 0);
  State state = State.RUNNING;
  HostProcess tracer;
  Resume resume = Resume.CONT;
  /** The report the tracer's next wait4 returns. */
  WaitStatus report;
  /** The signal of a signal-delivery-stop, delivered only if the tracer passes it on. */
  Signal stopSignal;
  /**
   * A signal sent while the process was stopped (kill(2) of a traced, stopped child): it stops
   * the process as soon as it runs again, before its code (kernel/signal.c get_signal). When the tick falls while the UML kernel is blocked in
   * wait4, the child is running and stops at once (the restarted wait4 returns the SIGALRM stop before the event it waited for);
   * the model defers that stop to the child's next resume, which changes the order of the calls
   * but none of the counts (2 wait4s, 5 ptrace calls, 1 round trip per tick;
   * ClockTickTest.aTickDuringAWait4MakesTheKernelWaitAgain).
   */
  Signal pendingSignal;
  /** Stopped at a syscall entry under PTRACE_SYSCALL: the call runs when resumed. */
  boolean atSyscallEntry;
  boolean pendingSyscall;
  SigContext lastFault;
  final Map<Integer, Long> handlers = new HashMap<>();
  long altStackTop;
  /** The general registers machine code uses beyond the ptrace view (see UserCpu), and RFLAGS. */
  final long[] gpr = new long[16];
  long rflags = 0x202;
  /** System call instructions executed so far. */
  long syscalls;

  HostProcess(int pid, String name, HostAddressSpace space) {
    this.pid = pid;
    this.name = name;
    this.space = space;
  }

  public int pid() {
    return pid;
  }

  public String name() {
    return name;
  }

  public HostAddressSpace space() {
    return space;
  }

  public State state() {
    return state;
  }

  public Registers regs() {
    return regs;
  }

  /** The CPU changing registers as the code it runs says (a pop, a jump). */
  public void setRegs(Registers r) {
    regs = r;
  }

  public HostProcess tracer() {
    return tracer;
  }

  /** System call instructions this process executed (a scheduler's step boundary for the stub). */
  public long syscallCount() {
    return syscalls;
  }

  /** The sigcontext of the last fault the host raised in this process. */
  public SigContext lastFault() {
    return lastFault;
  }

  @Override
  public String toString() {
    return name + "[" + pid + "]";
  }
}
