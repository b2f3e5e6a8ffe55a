package org.kexecsim.uml.host;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.CostLedger;
import org.kexecsim.uml.host.HostArch.Syscall;

/**
 * The host kernel: processes, their address spaces in one physical memory, system calls,
 * signals, ptrace and wait4, and (on a skas3-patched host) /proc/mm. Deterministic and lazy: a
 * resumed process runs only when a tracer waits for it, one {@link Code} step at a time.
 * Everything a real UML would pay for is charged to the {@link CostLedger}.
 */
public final class HostMachine {
  /** Host RAM: 4 GiB, so i386 page tables (32-bit entries) can live anywhere in it. */
  public static final long RAM_BYTES = 1L << 32;
  static final long HOST_FRAMES_START = 0x0100_0000L;
  /** UML's physmem file lives in host RAM from here. */
  public static final long PHYSMEM_BASE = 0x8000_0000L;

  private final HostArch arch;
  private final SparseMemory memory;
  private final HostFrames frames;
  private final Physmem physmem;
  private final CostLedger ledger;
  private final boolean skas3Patch;
  final PageWalker walker;
  final TreeMap<Integer, HostProcess> processes = new TreeMap<>();
  final Map<HostProcess, HostAddressSpace> ownSpaces = new HashMap<>();
  final Map<Long, Code> codeByPhysical = new HashMap<>();
  final Map<Long, Code> codeByIp = new HashMap<>();
  private final java.util.List<HostExec> hostExecs = new java.util.ArrayList<>();
  private int nextPid = 1000;
  int nextFd = 10;
  private HostProcess current;
  final HostSignals signals = new HostSignals(this);
  private final HostPtrace ptrace = new HostPtrace(this);
  private final HostProcMm procMm = new HostProcMm(this);
  private Ticks.Clock clock;
  private Runnable onAlarm;
  private long nowNanos;
  private long nextTickNanos;
  private long gridNanos;
  private java.util.SplittableRandom jitter;

  public HostMachine(HostArch arch, long physmemBytes, boolean skas3Patch, CostLedger ledger) {
    if (physmemBytes <= 0 || physmemBytes > RAM_BYTES - PHYSMEM_BASE || (physmemBytes & 0xFFF) != 0) {
      throw new IllegalArgumentException(String.format("physmem size 0x%x must be page-aligned and at most 2 GiB", physmemBytes));
    }
    this.arch = arch;
    this.memory = new SparseMemory(RamMap.ofSize(RAM_BYTES));
    this.frames = new HostFrames(HOST_FRAMES_START, PHYSMEM_BASE);
    this.physmem = new Physmem(memory, PHYSMEM_BASE, physmemBytes);
    this.ledger = ledger;
    this.skas3Patch = skas3Patch;
    this.walker = new PageWalker(memory);
  }

  public HostArch arch() {
    return arch;
  }

  public SparseMemory memory() {
    return memory;
  }

  public HostFrames frames() {
    return frames;
  }

  public Physmem physmem() {
    return physmem;
  }

  public CostLedger ledger() {
    return ledger;
  }

  public boolean hasSkas3Patch() {
    return skas3Patch;
  }

  public HostProcess process(int pid) {
    HostProcess p = processes.get(pid);
    if (p == null) {
      throw new IllegalStateException("no host process " + pid);
    }
    return p;
  }

  public boolean exists(int pid) {
    return processes.containsKey(pid);
  }

  public int processCount() {
    return processes.size();
  }

  // ---- processes ---------------------------------------------------------------------------

  /** The first process (UML itself, started from a shell): costs nothing in the ledger. */
  public HostProcess boot(String name) {
    HostProcess p = newProcess(name, new HostAddressSpace(this));
    current = p;
    return p;
  }

  /** clone(2) without CLONE_VM, into an empty address space (the child unmaps what it inherited). */
  public HostProcess spawn(HostProcess parent, String name) {
    syscallCharge(parent);
    return newProcess(name, new HostAddressSpace(this));
  }

  /**
   * fork(2) made by {@code parent}'s own code (6.1's stub_clone_handler): the child returns 0,
   * with the parent's registers, and is traced by the parent's tracer from birth, as UML's stub
   * children are.
   */
  private HostProcess forkChild(HostProcess parent) {
    HostProcess c = newProcess(parent.name(), parent.space.forkCopy());
    c.regs = parent.regs.withRet(0);
    System.arraycopy(parent.gpr, 0, c.gpr, 0, c.gpr.length);
    c.rflags = parent.rflags;
    c.handlers.putAll(parent.handlers);
    c.altStackTop = parent.altStackTop;
    c.tracer = parent.tracer;
    return c;
  }

  /** fork(2): the child gets a copy of every mapping of the parent. */
  public HostProcess fork(HostProcess parent, String name) {
    syscallCharge(parent);
    HostProcess c = newProcess(name, parent.space.forkCopy());
    c.regs = parent.regs;
    System.arraycopy(parent.gpr, 0, c.gpr, 0, c.gpr.length);
    c.handlers.putAll(parent.handlers);
    c.altStackTop = parent.altStackTop;
    return c;
  }

  /**
   * clone(CLONE_VM): a host thread in {@code parent}'s address space, as SMP skas0 needs one per
   * guest thread (seed 003). The space lives as long as its creator.
   */
  public HostProcess cloneThread(HostProcess parent, String name) {
    syscallCharge(parent);
    HostProcess t = new HostProcess(nextPid++, name, parent.space);
    processes.put(t.pid(), t);
    t.regs = parent.regs;
    System.arraycopy(parent.gpr, 0, t.gpr, 0, t.gpr.length);
    t.handlers.putAll(parent.handlers);
    return t;
  }

  private HostProcess newProcess(String name, HostAddressSpace space) {
    HostProcess p = new HostProcess(nextPid++, name, space);
    processes.put(p.pid(), p);
    ownSpaces.put(p, space);
    return p;
  }

  /** Places {@code code} at host physical address {@code physical}: a fetch there runs it. */
  public void installCode(long physical, Code code) {
    codeByPhysical.put(physical, code);
  }

  /**
   * Binds the model's abstract user code to {@code ip}: a process at that ip runs {@code code}
   * without an instruction fetch (guest instructions are not modelled, their accesses are).
   */
  public void installUserCode(long ip, Code code) {
    codeByIp.put(ip, code);
  }

  // ---- system calls ------------------------------------------------------------------------

  /** {@code p} makes system call {@code s}. */
  public long syscall(HostProcess p, Syscall s, long... args) {
    long[] a = java.util.Arrays.copyOf(args, 6);
    return execute(p, arch.nr(s), a);
  }

  void syscallCharge(HostProcess p) {
    switchTo(p);
    ledger.charge(Cost.HOST_SYSCALL);
  }

  long execute(HostProcess p, long nr, long[] a) {
    syscallCharge(p);
    Syscall s = arch.syscallOf(nr);
    if (s == null) {
      return -38; // ENOSYS
    }
    return switch (s) {
      case MMAP -> {
        if (a[4] != Physmem.FD) {
          yield HostAddressSpace.EINVAL; // the model's hosts map only the physmem file
        }
        long offset = arch == HostArch.I386 ? a[5] << 12 : a[5]; // mmap2 takes pages
        if (offset < 0 || (offset & 0xFFF) != 0 || offset + a[1] > physmem.size() || a[1] <= 0) {
          yield HostAddressSpace.EINVAL;
        }
        ledger.charge(Cost.HOST_MM_OP);
        int r = p.space.mmap(a[0], a[1], (int) a[2], physmem.hostPhysical(offset));
        yield r == 0 ? a[0] : r;
      }
      case MUNMAP -> {
        ledger.charge(Cost.HOST_MM_OP);
        yield p.space.munmap(a[0], a[1]);
      }
      case MPROTECT -> {
        ledger.charge(Cost.HOST_MM_OP);
        yield p.space.mprotect(a[0], a[1], (int) a[2]);
      }
      case KILL -> {
        if (!processes.containsKey((int) a[0])) {
          yield -3; // ESRCH
        }
        signals.raise(process((int) a[0]), HostSignals.signalOf((int) a[1]));
        yield 0;
      }
      case GETPID -> p.pid();
      case EXIT -> {
        signals.terminate(p, new WaitStatus.Exited(p.pid(), (int) a[0]));
        yield 0;
      }
      case EXECVE -> execve(p, a[0], a[1], a[2]);
      case FORK -> forkChild(p).pid();
      case SCHED_YIELD, WAIT4 -> -38; // only the guest makes these; the model's host does not
    };
  }

  /** The host's executables: what an execve that escapes UML could start. */
  public static final java.util.Set<String> HOST_EXECUTABLES = java.util.Set.of("/bin/bash", "/bin/sh");
  private static final int PATH_MAX = 4096;

  /**
   * execve(2) on the host (fs/exec.c): the path is copied from the caller's memory
   * (strncpy_from_user: EFAULT if unreadable), argv and envp must be NULL or readable. Success
   * replaces the image and address space; a ptraced caller without PTRACE_O_TRACEEXEC then
   * stops with SIGTRAP (ptrace(2)). UML never lets a guest process do this: each one is
   * recorded in {@link #hostExecs()}, since it means the guest runs a host program.
   */
  private long execve(HostProcess p, long path, long argv, long envp) {
    StringBuilder name = new StringBuilder();
    for (int i = 0; ; i++) {
      if (i == PATH_MAX) {
        return -36; // ENAMETOOLONG
      }
      long pa = kernelTranslate(p, path + i, false);
      if (pa < 0) {
        return -14; // EFAULT
      }
      int c = memory.readU8(pa);
      if (c == 0) {
        break;
      }
      name.append((char) c);
    }
    for (long v : new long[] {argv, envp}) {
      if (v != 0 && kernelTranslate(p, v, false) < 0) {
        return -14;
      }
    }
    if (!HOST_EXECUTABLES.contains(name.toString())) {
      return -2; // ENOENT
    }
    hostExecs.add(new HostExec(p.pid(), name.toString()));
    HostAddressSpace fresh = new HostAddressSpace(this);
    ownSpaces.remove(p); // the old space stays with any CLONE_VM sibling (exec_mmap drops one user)
    p.space = fresh;
    ownSpaces.put(p, fresh);
    p.handlers.clear(); // caught signals revert to default on exec
    p.altStackTop = 0;
    p.regs = Registers.at(0, 0);
    java.util.Arrays.fill(p.gpr, 0);
    if (p.tracer != null) {
      signals.raise(p, Signal.SIGTRAP);
    }
    return 0;
  }

  /** A successful host execve by {@code pid}. */
  public record HostExec(int pid, String path) {}

  /** Every host execve that succeeded, in order. */
  public java.util.List<HostExec> hostExecs() {
    return java.util.List.copyOf(hostExecs);
  }





  /** What a system call instruction does: stop for the tracer (SYSCALL/SYSEMU) or run. */
  public void syscallInstruction(HostProcess p, long nr, long... args) {
    p.syscalls++;
    p.regs = p.regs.withSyscall(nr, args);
    if (p.tracer != null && p.resume != HostProcess.Resume.CONT) {
      // ptrace syscall-entry stop; under SYSEMU the call is then skipped (arch/x86 ptrace.c).
      p.atSyscallEntry = p.resume == HostProcess.Resume.SYSCALL;
      p.state = HostProcess.State.STOPPED;
      p.report = new WaitStatus.SyscallStop(p.pid(), nr);
      return;
    }
    Registers r = p.regs;
    p.regs = r.withRet(execute(p, nr, new long[] {r.a0(), r.a1(), r.a2(), r.a3(), r.a4(), r.a5()}));
  }

  /**
   * A load by kernel code running inside {@code p} (tt's in-process kernel): a supervisor access
   * through {@code p}'s page table. A fault here is a bug in the model.
   */
  public long loadWord(HostProcess p, long va) {
    long pa = kernelTranslate(p, va, false);
    if (pa < 0) {
      throw new IllegalStateException(String.format("in-process kernel load at 0x%x of %s faults", va, p));
    }
    return readWord(pa);
  }

  /** A store by kernel code running inside {@code p}; see {@link #loadWord}. */
  public void storeWord(HostProcess p, long va, long value) {
    long pa = kernelTranslate(p, va, true);
    if (pa < 0) {
      throw new IllegalStateException(String.format("in-process kernel store at 0x%x of %s faults", va, p));
    }
    writeWord(pa, value);
  }

  /**
   * tt's context switch (arch/um/kernel/tt/process_kern.c switch_to_tt): {@code from} writes a
   * byte to {@code to}'s pipe and blocks reading its own; the host switches to {@code to}.
   */
  public void pipeSwitch(HostProcess from, HostProcess to) {
    syscallCharge(from); // write(to's pipe)
    syscallCharge(from); // read(own pipe): blocks
    switchTo(to);
  }

  // ---- memory as seen by a process ---------------------------------------------------------

  /**
   * Translates a user-mode access of {@code p} through its host page table. On a fault the host
   * raises SIGSEGV with the MMU's error code and cr2 and this returns -1.
   */
  public long userTranslate(HostProcess p, long va, boolean write) {
    return translateOrFault(p, va, Access.USER | (write ? Access.WRITE : Access.READ));
  }

  /** The CPU faulted in {@code p}'s user code: the host raises SIGSEGV with this sigcontext. */
  void userFault(HostProcess p, SigContext ctx) {
    p.lastFault = ctx;
    signals.raise(p, new Signal.Sigsegv(ctx));
  }

  long translateOrFault(HostProcess p, long va, int access) {
    long r = walker.walk(p.space.paging(), va, access, true);
    if (PageWalker.isFault(r)) {
      boolean pf = PageWalker.faultVector(r) == SigContext.TRAP_PAGE_FAULT;
      long cr2 = arch == HostArch.I386 ? va & 0xFFFF_FFFFL : va;
      SigContext ctx = pf
          ? new SigContext(cr2, PageWalker.faultErrorCode(r), SigContext.TRAP_PAGE_FAULT)
          : new SigContext(0, 0, PageWalker.faultVector(r)); // #GP: no cr2
      p.lastFault = ctx;
      signals.raise(p, new Signal.Sigsegv(ctx));
      return -1;
    }
    return r;
  }

  /** A supervisor access the host kernel makes to {@code p}'s memory (copy_to_user and friends). */
  long kernelTranslate(HostProcess p, long va, boolean write) {
    long r = walker.walk(p.space.paging(), va, write ? Access.WRITE : Access.READ, true);
    return PageWalker.isFault(r) ? -1 : r;
  }

  public long readWord(long physical) {
    return arch.readWord(memory, physical);
  }

  public void writeWord(long physical, long value) {
    arch.writeWord(memory, physical, value);
  }

  // ---- signals ({@link HostSignals}) -----------------------------------------------------

  /** sigaction(signal, handler, SA_ONSTACK). */
  public void sigaction(HostProcess p, Signal signal, long handler) {
    signals.sigaction(p, signal, handler);
  }

  /** sigaltstack: signal frames go below {@code top}. */
  public void sigaltstack(HostProcess p, long top) {
    signals.sigaltstack(p, top);
  }

  /** rt_sigreturn: restores the registers saved in the frame at the stack pointer. */
  public void sigreturn(HostProcess p) {
    signals.sigreturn(p);
  }

  /** Generates {@code s} for {@code p}: a tracee stops first and its tracer decides. */
  public void raise(HostProcess p, Signal s) {
    signals.raise(p, s);
  }





  // ---- ptrace and wait ({@link HostPtrace}) -----------------------------------------------

  /** PTRACE_TRACEME, made by the child. */
  public void traceMe(HostProcess child, HostProcess tracer) {
    ptrace.traceMe(child, tracer);
  }

  public PtraceReply ptrace(HostProcess caller, PtraceRequest request) {
    return ptrace.ptrace(caller, request);
  }

  /**
   * wait4 on a tracee: runs it (and only it) until it stops, exits or runs out of user code.
   * A returned stop is one round trip: the caller resumed the child and now has it back.
   */
  public WaitStatus wait(HostProcess caller, int pid) {
    return ptrace.wait(caller, pid);
  }

  /** kill(pid, SIGKILL) and the wait4 that reaps it: how UML drops the host process of an mm. */
  public void killAndReap(HostProcess caller, int pid) {
    syscall(caller, Syscall.KILL, pid, Signal.SIGKILL.number());
    wait(caller, pid);
  }

  /**
   * Executes one step of {@code c} (a pending system call, one stub record, one user access):
   * the unit a scheduler interleaves, e.g. two host threads sharing an address space. Returns
   * false when {@code c} is stopped, dead, waiting to be reaped or out of work.
   */
  public boolean step(HostProcess c) {
    return ptrace.step(c);
  }








  void switchTo(HostProcess p) {
    if (current != p) {
      ledger.charge(Cost.CONTEXT_SWITCH);
      current = p;
    }
  }

  // ---- the clock (UML's timer, {@link Ticks}) -----------------------------------------------

  /**
   * Starts the host timer of the UML kernel process (os_timer_create, timer_create with
   * SIGALRM): from now on every ptrace call and wait4 lets host time pass, and each tick runs
   * {@code alarm}, the UML kernel's SIGALRM handler. {@link Ticks.None} starts nothing.
   */
  public void startClock(Ticks ticks, Runnable alarm, long seed) {
    if (ticks instanceof Ticks.Clock c) {
      clock = c;
      onAlarm = alarm;
      jitter = new java.util.SplittableRandom(seed ^ 0x7469_636bL);
      nowNanos = 0;
      gridNanos = c.periodNanos();
      nextTickNanos = gridNanos + delay();
    }
  }

  private long delay() {
    return clock.jitterNanos() == 0 ? 0 : jitter.nextLong(clock.jitterNanos());
  }

  /** Host time so far, in nanoseconds of the clock's rates (0 without a clock). */
  public long nowNanos() {
    return nowNanos;
  }

  /**
   * The time of one ptrace call or wait4 passes. A tick that falls while the UML kernel is
   * blocked in a wait4 interrupts it: the kernel's handler runs and the call is made again
   * (SA_RESTART; strace shows the first as "= ? ERESTARTSYS"), one more wait4, the tick's.
   */
  void elapse(boolean wait4) {
    if (clock == null) {
      return;
    }
    long blockedUntil = wait4 ? nowNanos + clock.wait4BlockedNanos() : nowNanos;
    nowNanos += wait4 ? clock.wait4Nanos() : clock.ptraceNanos();
    while (nowNanos >= nextTickNanos) {
      boolean interrupted = nextTickNanos <= blockedUntil; // ticks not yet taken lie after the call began
      gridNanos += clock.periodNanos();
      nextTickNanos = Math.max(gridNanos + delay(), nextTickNanos + 1);
      ledger.countTick();
      ledger.beginTick();
      try {
        if (interrupted) {
          ledger.charge(Cost.HOST_SYSCALL);
          ledger.charge(Cost.WAIT4);
        }
        onAlarm.run();
      } finally {
        ledger.endTick();
      }
    }
  }

  /** kill(pid, SIGALRM) by {@code caller} (os_alarm_process); a process gone already is skipped (ESRCH). */
  public void alarm(HostProcess caller, int pid) {
    syscallCharge(caller);
    HostProcess p = processes.get(pid);
    if (p != null) {
      signals.send(p, Signal.SIGALRM);
    }
  }

  // ---- /proc/mm (skas3 host patch, {@link HostProcMm}) --------------------------------------

  public ProcMm openProcMm(HostProcess caller) {
    return procMm.openProcMm(caller);
  }

  /** write(2) of one struct proc_mm_op; returns 0 or -errno. */
  public long writeProcMm(HostProcess caller, ProcMm mm, ProcMm.Op op) {
    return procMm.writeProcMm(caller, mm, op);
  }

  public void closeProcMm(HostProcess caller, ProcMm mm) {
    procMm.closeProcMm(caller, mm);
  }




  void requirePatch(String what) {
    if (!skas3Patch) {
      throw new IllegalStateException(what + " needs the skas3 host patch; this host is stock");
    }
  }
}
