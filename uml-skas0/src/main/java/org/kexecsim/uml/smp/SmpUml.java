package org.kexecsim.uml.smp;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.SigFrame;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.UserStep;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.GuestMm;
import org.kexecsim.uml.kernel.GuestProcess;
import org.kexecsim.uml.kernel.UmlKernel;
import org.kexecsim.uml.mode.Skas0Options;
import org.kexecsim.uml.mode.StubPages;
import org.kexecsim.uml.mode.UmlMode;

/**
 * A skas0 UML with several CPUs running threads of one guest process, as seed 003 plans it:
 * "one host process per UML process, with CLONE_VM set on the host", all sharing the mm's host
 * address space and so its one pair of stub pages; the host pid each CPU controls is
 * {@code userspacePid[cpu]} ("indexed by CPU number ... doesn't need locking"). Each CPU's kernel
 * side is its own host thread of the UML kernel, since a ptrace tracer is a thread.
 */
final class SmpUml {
  /** Where the guest threads' user code sits (the model binds code to an ip; never fetched). */
  private static final long CODE_IP = 0x5000_0000L;

  final UmlKernel kernel;
  final HostMachine host;
  final HostArch arch;
  final GuestMm mm;
  /** The UML kernel thread of each CPU (cpu0: the kernel process itself). */
  final HostProcess[] cpuThread;
  /** userspace_pid[cpu]: the host process of the guest thread on that CPU. */
  final HostProcess[] userspacePid;
  private final Map<Long, GuestCode> codeByIp = new HashMap<>();

  /**
   * Boots UML, lets {@code guest} set up the init process (its VMAs), then stops init on CPU 0
   * and starts one more guest thread per extra CPU, each a CLONE_VM host process traced by its
   * CPU's kernel thread and stopped.
   */
  SmpUml(int cpus, Consumer<UmlKernel> guest) {
    if (cpus < 2) {
      throw new IllegalArgumentException("SMP needs at least 2 CPUs, got " + cpus);
    }
    kernel = new UmlKernel(new UmlMode.Skas0(Skas0Options.PATCHED).driver(), HostArch.X86_64, 1, 8L << 20, 4);
    guest.accept(kernel);
    kernel.ledger().begin("smp-schedule"); // the setup and the whole schedule are one ledger entry
    host = kernel.host();
    arch = kernel.arch();
    GuestProcess init = kernel.current();
    mm = init.mm();
    cpuThread = new HostProcess[cpus];
    userspacePid = new HostProcess[cpus];
    cpuThread[0] = kernel.kernelProcess();
    userspacePid[0] = host.process(init.hostPid());
    // init is running user code under PTRACE_SYSEMU; its next system call stops it for CPU 0
    init.program().add(new UserStep.SyscallInsn(arch.nr(Syscall.GETPID), 0, 0, 0, 0));
    expect(host.wait(cpuThread[0], userspacePid[0].pid()), WaitStatus.SyscallStop.class);
    for (int c = 1; c < cpus; c++) {
      cpuThread[c] = host.cloneThread(cpuThread[0], "uml-cpu" + c);
      HostProcess t = host.cloneThread(userspacePid[0], "guest-thread" + c);
      // copy_process (kernel/fork.c) clears the altstack of a CLONE_VM child without CLONE_VFORK,
      // so the new process sets it again: the same stub data page, the mm has only one
      host.sigaltstack(t, arch.stubData() + 4096);
      host.ptrace(cpuThread[c], new PtraceRequest.Attach(t.pid()));
      expect(host.wait(cpuThread[c], t.pid()), WaitStatus.Stopped.class);
      userspacePid[c] = t;
    }
  }

  private static void expect(WaitStatus w, Class<? extends WaitStatus> kind) {
    if (!kind.isInstance(w)) {
      throw new IllegalStateException("setup expected " + kind.getSimpleName() + ", got " + w);
    }
  }

  /** The fix's records page, right below STUB_CODE and above TASK_SIZE, read-only to the process. */
  static final long COMMAND_PAGE_BELOW_STUB = 0x1000;

  long commandPage() {
    return arch.stubCode() - COMMAND_PAGE_BELOW_STUB;
  }

  /**
   * Setup: maps a fresh physmem frame read-only at {@link #commandPage()}, as userspace_tramp maps
   * the stub code (PROT_READ, MAP_SHARED|MAP_FIXED); returns the frame. All threads see it.
   */
  long mapCommandPage() {
    long frame = kernel.frames().allocateZeroed();
    long r = host.syscall(userspacePid[0], Syscall.MMAP, commandPage(), 4096, org.kexecsim.uml.host.Prot.READ, 0x11,
        org.kexecsim.uml.host.Physmem.FD, frame);
    if (r != commandPage()) {
      throw new IllegalStateException("mapping the command page failed: " + r);
    }
    return frame;
  }

  String cpuName(int cpu) {
    return "uml-kernel/cpu" + cpu;
  }

  String threadName(int cpu) {
    return userspacePid[cpu].name() + "[" + userspacePid[cpu].pid() + "]";
  }

  /** Setup, not a step: the CPU resumes its stopped guest thread in {@code code} (PTRACE_SYSEMU). */
  void resumeUser(int cpu, GuestCode code, long sp) {
    long ip = CODE_IP + cpu * 16L;
    codeByIp.put(ip, code);
    host.installUserCode(ip, code);
    int pid = userspacePid[cpu].pid();
    host.ptrace(cpuThread[cpu], new PtraceRequest.SetRegs(pid, Registers.at(ip, sp)));
    host.ptrace(cpuThread[cpu], new PtraceRequest.Sysemu(pid));
  }

  /**
   * wait4 on the CPU's guest thread, which meanwhile runs on that CPU: each step is one step of
   * the thread, and the step that finds it stopped returns its status to {@code onStatus}. The
   * action also ends when the thread has run all its user code.
   */
  VirtualCpu.Action waitForThread(int cpu, Interleaving m, Consumer<WaitStatus> onStatus) {
    return new VirtualCpu.Action() {
      @Override
      public VirtualCpu.Did run() {
        HostProcess p = userspacePid[cpu];
        if (p.state() != HostProcess.State.RUNNING) {
          WaitStatus w = host.wait(cpuThread[cpu], p.pid());
          onStatus.accept(w);
          return new VirtualCpu.Did(cpuName(cpu), "wait4(" + p.pid() + ") -> " + describe(w), true);
        }
        String what = stepThread(cpu);
        checkHostExecs(m);
        GuestCode code = codeByIp.get(p.regs().ip());
        boolean idle = p.state() == HostProcess.State.RUNNING && code != null && code.finished();
        return new VirtualCpu.Did(threadName(cpu), what + (idle ? "; the thread has no more user code" : ""), idle);
      }
    };
  }

  /** A host execve by any process of the guest means a guest thread runs a host program. */
  void checkHostExecs(Interleaving m) {
    for (HostMachine.HostExec e : host.hostExecs()) {
      m.broke(String.format("host pid %d executed execve(\"%s\") on the host: the guest broke out of UML",
          e.pid(), e.path()));
    }
  }

  /** One step of the CPU's guest thread, told with the bytes it read and wrote. */
  private String stepThread(int cpu) {
    HostProcess p = userspacePid[cpu];
    long ip = p.regs().ip();
    long sp = p.regs().sp();
    int w = arch.wordSize();
    if (ip >= arch.stubCode() && ip < arch.stubCode() + StubPages.HANDLER_OFFSET) {
      // the stub runs on the CPU model an instruction at a time; a scheduler step is its seven
      // pops and its syscall (or, for nr 0, everything to its stop): those schedules are a subset
      // of the per-instruction ones, so a break found is real; a forged record works only if
      // every forged word is popped after its store, which some schedule of this subset also has
      long[] rec = new long[StubPages.RECORD_WORDS];
      for (int i = 0; i < rec.length; i++) {
        rec[i] = peek(p, sp + (long) i * w);
      }
      long calls = p.syscallCount();
      for (int i = 0; i < 256 && (rec[0] == 0 || p.syscallCount() == calls) && host.step(p); i++) {
        // one instruction per host step
      }
      if (rec[0] == 0) {
        return String.format("stub pops nr 0 at 0x%x: end of batch, kill(getpid(), SIGSTOP)", sp);
      }
      StringBuilder sb = new StringBuilder(String.format("stub pops the register set at 0x%x: %s(", sp, syscallName(rec[0])));
      for (int i = 1; i < rec.length; i++) {
        sb.append(i > 1 ? ", " : "").append(String.format("0x%x", rec[i]));
      }
      sb.append(") -> ");
      long ret = p.regs().ret();
      sb.append(p.state() != HostProcess.State.RUNNING ? "stopped"
          : ret < 0 && ret > -4096 ? String.format("%d", ret) : String.format("0x%x", ret));
      return sb.toString();
    }
    if (ip >= arch.stubCode() + StubPages.HANDLER_OFFSET && ip < arch.stubCode() + 4096) {
      long cr2 = peek(p, sp + (long) SigFrame.SC_CR2 * w);
      long err = peek(p, sp + (long) SigFrame.SC_ERR * w);
      long trap = peek(p, sp + (long) SigFrame.SC_TRAPNO * w);
      for (int i = 0; i < 256 && host.step(p); i++) {
        // one instruction per host step, to the handler's stop
      }
      return String.format("stub_segv_handler reads the sigcontext at 0x%x (cr2=0x%x err=%d trap=%d), "
          + "writes faultinfo at 0x%x, kill(getpid(), SIGSTOP)", sp, cr2, err, trap, arch.stubData());
    }
    GuestCode code = codeByIp.get(ip);
    if (code == null) {
      throw new IllegalStateException(p + " runs at 0x" + Long.toHexString(ip) + ", which no hazard gave it");
    }
    String what = code.next(p);
    var faultBefore = p.lastFault();
    host.step(p);
    if (p.state() == HostProcess.State.STOPPED && p.lastFault() != faultBefore) {
      return String.format("%s: #PF err=%d at 0x%x, the host raises SIGSEGV (stop for the tracer)",
          what, p.lastFault().err(), p.lastFault().cr2());
    }
    return what;
  }

  String syscallName(long nr) {
    Syscall s = arch.syscallOf(nr);
    return s == null ? "syscall#" + nr : s.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** A word of {@code p}'s memory as the process would read it, or -1 if unmapped (for telling). */
  long peek(HostProcess p, long va) {
    long pa = new PageWalker(host.memory()).walk(p.space().paging(), va, Access.USER, false);
    return PageWalker.isFault(pa) ? -1 : host.readWord(pa);
  }

  static String describe(WaitStatus w) {
    return switch (w) {
      case WaitStatus.Stopped(int pid, Signal.Sigsegv s) -> String.format(
          "stopped by SIGSEGV (sigcontext cr2=0x%x err=%d trap=%d)", s.context().cr2(), s.context().err(), s.context().trap());
      case WaitStatus.Stopped s -> "stopped by " + s.signal().name();
      case WaitStatus.SyscallStop s -> "syscall stop (nr " + s.nr() + ")";
      case WaitStatus.Exited e -> "exited " + e.code();
      case WaitStatus.Killed k -> "killed by " + k.signal().name();
      case WaitStatus.StillRunning r -> "still running";
    };
  }
}
