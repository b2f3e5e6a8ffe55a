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
  private final PageWalker walker;
  private final TreeMap<Integer, HostProcess> processes = new TreeMap<>();
  private final Map<HostProcess, HostAddressSpace> ownSpaces = new HashMap<>();
  private final Map<Long, Code> codeByPhysical = new HashMap<>();
  private final Map<Long, Code> codeByIp = new HashMap<>();
  private final java.util.List<HostExec> hostExecs = new java.util.ArrayList<>();
  private int nextPid = 1000;
  private int nextFd = 10;
  private HostProcess current;

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

  /** fork(2): the child gets a copy of every mapping of the parent. */
  public HostProcess fork(HostProcess parent, String name) {
    syscallCharge(parent);
    HostProcess c = newProcess(name, parent.space.forkCopy());
    c.regs = parent.regs;
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

  private void syscallCharge(HostProcess p) {
    switchTo(p);
    ledger.charge(Cost.HOST_SYSCALL);
  }

  private long execute(HostProcess p, long nr, long[] a) {
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
        raise(process((int) a[0]), signalOf((int) a[1]));
        yield 0;
      }
      case GETPID -> p.pid();
      case EXIT -> {
        terminate(p, new WaitStatus.Exited(p.pid(), (int) a[0]));
        yield 0;
      }
      case EXECVE -> execve(p, a[0], a[1], a[2]);
      case FORK, SCHED_YIELD -> -38; // only the guest makes these; the model's host does not
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
    if (p.tracer != null) {
      raise(p, Signal.SIGTRAP);
    }
    return 0;
  }

  /** A successful host execve by {@code pid}. */
  public record HostExec(int pid, String path) {}

  /** Every host execve that succeeded, in order. */
  public java.util.List<HostExec> hostExecs() {
    return java.util.List.copyOf(hostExecs);
  }

  private static Signal signalOf(int number) {
    return switch (number) {
      case 5 -> Signal.SIGTRAP;
      case 9 -> Signal.SIGKILL;
      case 10 -> Signal.SIGUSR1;
      case 12 -> Signal.SIGUSR2;
      case 19 -> Signal.SIGSTOP;
      default -> throw new IllegalArgumentException("signal " + number + " is not modelled");
    };
  }

  /** sigaction(signal, handler, SA_ONSTACK). */
  public void sigaction(HostProcess p, Signal signal, long handler) {
    syscallCharge(p);
    p.handlers.put(signal.number(), handler);
  }

  /** sigaltstack: signal frames go below {@code top}. */
  public void sigaltstack(HostProcess p, long top) {
    syscallCharge(p);
    p.altStackTop = top;
  }

  /** rt_sigreturn: restores the registers saved in the frame at the stack pointer. */
  public void sigreturn(HostProcess p) {
    syscallCharge(p);
    long f = p.regs.sp();
    int w = arch.wordSize();
    long[] v = new long[SigFrame.WORDS];
    for (int i : new int[] {SigFrame.SC_IP, SigFrame.SC_SP, SigFrame.SC_NR, SigFrame.SC_RET}) {
      long pa = kernelTranslate(p, f + (long) i * w, false);
      if (pa < 0) {
        terminate(p, new WaitStatus.Killed(p.pid(), new Signal.Sigsegv(new SigContext(f, 0, 14))));
        return;
      }
      v[i] = readWord(pa);
    }
    p.regs = new Registers(v[SigFrame.SC_IP], v[SigFrame.SC_SP], v[SigFrame.SC_NR], 0, 0, 0, 0, 0, 0, v[SigFrame.SC_RET]);
  }

  /** What a system call instruction does: stop for the tracer (SYSCALL/SYSEMU) or run. */
  public void syscallInstruction(HostProcess p, long nr, long... args) {
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

  private long translateOrFault(HostProcess p, long va, int access) {
    long r = walker.walk(p.space.paging(), va, access, true);
    if (PageWalker.isFault(r)) {
      boolean pf = PageWalker.faultVector(r) == SigContext.TRAP_PAGE_FAULT;
      long cr2 = arch == HostArch.I386 ? va & 0xFFFF_FFFFL : va;
      SigContext ctx = pf
          ? new SigContext(cr2, PageWalker.faultErrorCode(r), SigContext.TRAP_PAGE_FAULT)
          : new SigContext(0, 0, PageWalker.faultVector(r)); // #GP: no cr2
      p.lastFault = ctx;
      raise(p, new Signal.Sigsegv(ctx));
      return -1;
    }
    return r;
  }

  /** A supervisor access the host kernel makes to {@code p}'s memory (copy_to_user and friends). */
  private long kernelTranslate(HostProcess p, long va, boolean write) {
    long r = walker.walk(p.space.paging(), va, write ? Access.WRITE : Access.READ, true);
    return PageWalker.isFault(r) ? -1 : r;
  }

  public long readWord(long physical) {
    return arch.wordSize() == 8 ? memory.readU64(physical) : memory.readU32(physical);
  }

  public void writeWord(long physical, long value) {
    if (arch.wordSize() == 8) {
      memory.writeU64(physical, value);
    } else {
      memory.writeU32(physical, value);
    }
  }

  // ---- signals -----------------------------------------------------------------------------

  /** Generates {@code s} for {@code p}: a tracee stops first and its tracer decides. */
  public void raise(HostProcess p, Signal s) {
    ledger.charge(Cost.SIGNAL);
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

  private void deliver(HostProcess p, Signal s) {
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
    int w = arch.wordSize();
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
        pagePa = kernelTranslate(p, page, true);
      }
      if (pagePa < 0) {
        // the frame cannot be written: force_sigsegv, the process dies
        terminate(p, new WaitStatus.Killed(p.pid(), new Signal.Sigsegv(ctx)));
        return;
      }
      writeWord(pagePa + (va & 0xFFF), words[i]);
    }
    ledger.charge(Cost.SIGNAL_HANDLER);
    p.regs = Registers.at(handler, frame).withSyscall(-1, s.number());
  }

  private void terminate(HostProcess p, WaitStatus how) {
    if (p.state == HostProcess.State.DEAD) {
      return;
    }
    p.state = HostProcess.State.DEAD;
    HostAddressSpace own = ownSpaces.remove(p);
    if (own != null) {
      own.destroy();
    }
    if (p.tracer != null) {
      p.report = how;
    } else {
      processes.remove(p.pid());
    }
  }

  // ---- ptrace and wait ---------------------------------------------------------------------

  /** PTRACE_TRACEME, made by the child. */
  public void traceMe(HostProcess child, HostProcess tracer) {
    switchTo(child);
    ledger.charge(Cost.PTRACE);
    child.tracer = tracer;
  }

  public PtraceReply ptrace(HostProcess caller, PtraceRequest request) {
    switchTo(caller);
    ledger.charge(Cost.PTRACE);
    HostProcess c = process(request.pid());
    if (request instanceof PtraceRequest.Attach) {
      c.tracer = caller;
      raise(c, Signal.SIGSTOP);
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
      case PtraceRequest.PeekData r -> new PtraceReply.Word(readWord(forceTranslate(c, r.address())));
      case PtraceRequest.PokeData r -> {
        writeWord(forceTranslate(c, r.address()), r.value());
        yield PtraceReply.DONE;
      }
      case PtraceRequest.FaultInfo r -> {
        requirePatch("PTRACE_FAULTINFO");
        yield new PtraceReply.Fault(c.lastFault.isWrite(), c.lastFault.cr2());
      }
      case PtraceRequest.SwitchMm r -> {
        requirePatch("PTRACE_SWITCH_MM");
        c.space = r.handle().space();
        yield PtraceReply.DONE;
      }
    };
  }

  /** access_process_vm with FOLL_FORCE: reads the tables whatever the page's rights. */
  private long forceTranslate(HostProcess c, long va) {
    long r = walker.walk(c.space.paging(), va, Access.READ, false);
    if (PageWalker.isFault(r)) {
      throw new IllegalStateException(String.format("ptrace peek/poke at 0x%x of %s: not mapped (EIO)", va, c));
    }
    return r;
  }

  private PtraceReply resume(HostProcess c, HostProcess.Resume how, Signal signal) {
    c.resume = how;
    if (signal != null && !signal.equals(c.stopSignal)) {
      ledger.charge(Cost.SIGNAL); // the tracer injects a signal the child did not have
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
        c.regs = r.withRet(execute(c, r.nr(), new long[] {r.a0(), r.a1(), r.a2(), r.a3(), r.a4(), r.a5()}));
      }
    }
    if (signal != null) {
      deliver(c, signal);
    }
    return PtraceReply.DONE;
  }

  /**
   * wait4 on a tracee: runs it (and only it) until it stops, exits or runs out of user code.
   * A returned stop is one round trip: the caller resumed the child and now has it back.
   */
  public WaitStatus wait(HostProcess caller, int pid) {
    HostProcess c = process(pid);
    if (c.report == null && c.state == HostProcess.State.RUNNING) {
      switchTo(c);
      run(c);
    }
    if (c.report != null) {
      WaitStatus w = c.report;
      c.report = null;
      switchTo(caller);
      ledger.charge(Cost.HOST_SYSCALL);
      if (w instanceof WaitStatus.Stopped || w instanceof WaitStatus.SyscallStop) {
        ledger.charge(Cost.ROUND_TRIP);
      } else {
        processes.remove(pid); // reaped
      }
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
  public boolean step(HostProcess c) {
    if (c.state != HostProcess.State.RUNNING || c.report != null) {
      return false;
    }
    switchTo(c);
    if (c.pendingSyscall) {
      c.pendingSyscall = false;
      Registers r = c.regs;
      c.regs = r.withRet(execute(c, r.nr(), new long[] {r.a0(), r.a1(), r.a2(), r.a3(), r.a4(), r.a5()}));
      return true;
    }
    Code code = codeByIp.get(c.regs.ip());
    if (code == null) {
      long pa = translateOrFault(c, c.regs.ip(), Access.USER | Access.FETCH);
      if (pa < 0) {
        return true; // the fetch faulted: SIGSEGV is raised
      }
      code = codeByPhysical.get(pa);
      if (code == null) {
        throw new IllegalStateException(String.format(
            "%s executes at 0x%x (host pa 0x%x) where the model has no code", c, c.regs.ip(), pa));
      }
    }
    return code.step(this, c);
  }

  private void switchTo(HostProcess p) {
    if (current != p) {
      ledger.charge(Cost.CONTEXT_SWITCH);
      current = p;
    }
  }

  // ---- /proc/mm (skas3 host patch) ---------------------------------------------------------

  public ProcMm openProcMm(HostProcess caller) {
    requirePatch("/proc/mm");
    syscallCharge(caller);
    return new ProcMm(nextFd++, new HostAddressSpace(this));
  }

  /** write(2) of one struct proc_mm_op; returns 0 or -errno. */
  public long writeProcMm(HostProcess caller, ProcMm mm, ProcMm.Op op) {
    syscallCharge(caller);
    HostAddressSpace s = mm.space();
    return switch (op) {
      case ProcMm.Op.Mmap m -> {
        ledger.charge(Cost.HOST_MM_OP);
        yield s.mmap(m.addr(), m.len(), m.prot(), physmem.hostPhysical(m.offset()));
      }
      case ProcMm.Op.Munmap m -> {
        ledger.charge(Cost.HOST_MM_OP);
        yield s.munmap(m.addr(), m.len());
      }
      case ProcMm.Op.Mprotect m -> {
        ledger.charge(Cost.HOST_MM_OP);
        yield s.mprotect(m.addr(), m.len(), m.prot());
      }
      case ProcMm.Op.CopySegments c -> 0;
    };
  }

  public void closeProcMm(HostProcess caller, ProcMm mm) {
    syscallCharge(caller);
    mm.space().destroy();
  }

  private void requirePatch(String what) {
    if (!skas3Patch) {
      throw new IllegalStateException(what + " needs the skas3 host patch; this host is stock");
    }
  }
}
