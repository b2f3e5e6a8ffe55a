package org.kexecsim.uml.smp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.mode.StubPages;
import org.kexecsim.uml.mode.SyscallBatch;

/**
 * Hazard 2 of seed 003: while CPU 0's kernel has the stub of thread 0 run a batch of mmaps
 * (run_syscall_stub, arch/um/kernel/skas/mem_user.c, later arch/um/os-Linux/skas/mem.c), thread
 * 1 of the same process, on CPU 1, rewrites a queued register set into execve("/bin/bash", 0, 0).
 * The stub executes whatever is in the records when it pops them, under PTRACE_CONT, so the host
 * runs it: "If it can successfully convert one into an execve("/bin/bash"), then that is a
 * breakout exploit." The fix: the records live in a page the process can only read, and
 * fix_range_common is serialized per process (seed 003).
 */
public record StubBreakout() implements Hazard {
  static final long WINDOW = 0x1000_0000L;
  /** The records page of the fix: right below STUB_CODE, above TASK_SIZE, read-only to the process. */
  static final long COMMAND_PAGE_BELOW_STUB = 0x1000;
  static final String BASH = "/bin/bash";

  @Override
  public String name() {
    return "breakout";
  }

  @Override
  public String fix() {
    return "register sets in a page the process cannot write, flush serialized";
  }

  /** {@code fixed} is the code-page placement with the flush lock. */
  @Override
  public Interleaving start(boolean fixed) {
    return start(fixed ? BatchPlacement.CODE_PAGE : BatchPlacement.DATA_PAGE);
  }

  public Interleaving start(BatchPlacement placement) {
    SmpUml uml = new SmpUml(2, k -> k.perform(new GuestOperation.Mmap(WINDOW, 2, Prot.RW, false)));
    int w = uml.arch.wordSize();
    HostProcess victim = uml.userspacePid[0];
    long recordsFrame;
    long recordsVa;
    if (placement == BatchPlacement.DATA_PAGE) {
      recordsFrame = uml.mm.stubDataFrame();
      recordsVa = uml.arch.stubData() + StubPages.BATCH_RECORDS;
    } else {
      // userspace_tramp maps the page read-only, as it maps the stub code: PROT_READ, MAP_SHARED|MAP_FIXED
      recordsFrame = uml.kernel.frames().allocateZeroed();
      long page = uml.arch.stubCode() - COMMAND_PAGE_BELOW_STUB;
      long r = uml.host.syscall(victim, Syscall.MMAP, page, 4096, Prot.READ, 0x11, Physmem.FD, recordsFrame);
      if (r != page) {
        throw new IllegalStateException("mapping the command page failed: " + r);
      }
      recordsVa = page + StubPages.BATCH_RECORDS;
    }
    List<HostOp> ops = List.of(
        new HostOp.Map(WINDOW, 4096, uml.kernel.frames().allocateZeroed(), Prot.RW),
        new HostOp.Map(WINDOW + 4096, 4096, uml.kernel.frames().allocateZeroed(), Prot.RW));

    // the forger aims at the second register set, wherever the records are
    long target = recordsVa + (long) StubPages.RECORD_WORDS * w;
    long path = uml.mm.stackTop() - 4096 + 0x200; // its own stack page
    byte[] bash = (BASH + "\0").getBytes(StandardCharsets.US_ASCII);
    Forger forger = new Forger(List.of(
        new Forger.Store(path, bash, "\"" + BASH + "\" on its own stack"),
        Forger.word(target + w, path, w, "record 1 arg0"),
        Forger.word(target + 2L * w, 0, w, "record 1 arg1 (argv)"),
        Forger.word(target + 3L * w, 0, w, "record 1 arg2 (envp)"),
        Forger.word(target, uml.arch.nr(Syscall.EXECVE), w, "record 1 nr (execve)")));
    uml.resumeUser(1, forger, uml.mm.stackTop() - 0x800);

    Interleaving m = new Interleaving();
    ProcessLock flushLock = new ProcessLock("mm flush lock (fix_range_common)");
    boolean serialized = placement == BatchPlacement.CODE_PAGE;
    flusher(m.addCpu(), uml, m, ops, recordsFrame, recordsVa, serialized ? flushLock : null);
    forger(m.addCpu(), uml, m);
    return m;
  }

  private static void flusher(VirtualCpu cpu, SmpUml uml, Interleaving m, List<HostOp> ops, long frame,
      long recordsVa, ProcessLock lock) {
    int c = cpu.index();
    String k = uml.cpuName(c);
    HostProcess t = uml.userspacePid[c];
    if (lock != null) {
      cpu.then(lock.acquire(c, k));
    }
    cpu.then(k, () -> {
      SyscallBatch.load(uml.host, frame, ops);
      StringBuilder sb = new StringBuilder(String.format("fix_range writes %d register sets at 0x%x:", ops.size(), recordsVa));
      for (HostOp op : ops) {
        long[] r = SyscallBatch.encode(uml.arch, op);
        sb.append(String.format(" [%s", uml.syscallName(r[0])));
        for (int i = 1; i < r.length; i++) {
          sb.append(String.format(" 0x%x", r[i]));
        }
        sb.append(']');
      }
      return sb.append(" [nr 0]").toString();
    });
    cpu.then(k, () -> {
      SyscallBatch.launch(uml.host, uml.cpuThread[c], t, recordsVa);
      return String.format("PTRACE_SETREGS(%d, ip=0x%x stub, sp=0x%x), PTRACE_CONT", t.pid(), uml.arch.stubCode(), recordsVa);
    });
    WaitStatus[] end = new WaitStatus[1];
    cpu.then(uml.waitForThread(c, m, w -> end[0] = w));
    cpu.then(k, () -> {
      int w = uml.arch.wordSize();
      long done = uml.host.readWord(uml.host.physmem().hostPhysical(uml.mm.stubDataFrame() + StubPages.BATCH_DONE));
      long ret = uml.host.readWord(uml.host.physmem().hostPhysical(uml.mm.stubDataFrame() + StubPages.BATCH_RET));
      uml.checkHostExecs(m);
      if (end[0] instanceof WaitStatus.Stopped(int pid, Signal.Sigstop s)) {
        return String.format("the stub ran %d of %d register sets, last return %d%s", done, ops.size(), ret,
            done == ops.size() ? "" : ": the flush failed (UML panics, no breakout)");
      }
      return "the stub did not come back with SIGSTOP: " + SmpUml.describe(end[0]);
    });
    if (lock != null) {
      cpu.then(k, lock.release(c));
    }
  }

  private static void forger(VirtualCpu cpu, SmpUml uml, Interleaving m) {
    int c = cpu.index();
    cpu.then(uml.waitForThread(c, m, w -> {
      if (w instanceof WaitStatus.Stopped(int pid, Signal.Sigsegv s)) {
        // segv (arch/um/kernel/trap.c): no guest VMA at cr2, so the guest thread gets SIGSEGV
        cpu.next(new VirtualCpu.Action() {
          @Override
          public VirtualCpu.Did run() {
            return new VirtualCpu.Did(uml.cpuName(c), String.format(
                "segv: 0x%x is in no guest VMA, force_sig(SIGSEGV) on the guest thread", s.context().cr2()), true);
          }
        });
      }
    }));
  }
}
