package org.kexecsim.uml.smp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.mode.StubPages;

/**
 * Hazard 2 of seed 003: while CPU 0's kernel has the stub of thread 0 run a batch of mmaps
 * (run_syscall_stub, arch/um/kernel/skas/mem_user.c, later arch/um/os-Linux/skas/mem.c), thread
 * 1 of the same process, on CPU 1, rewrites a queued register set into execve("/bin/bash", 0, 0).
 * The stub executes whatever is in the records when it pops them, under PTRACE_CONT, so the host
 * runs it: "If it can successfully convert one into an execve("/bin/bash"), then that is a
 * breakout exploit." The fix: the records live in a page the process can only read, and
 * fix_range_common is serialized per process (seed 003).
 */
public record StubBreakout(boolean alwaysSerialized) implements Hazard {
  static final long WINDOW = 0x1000_0000L;
  static final String BASH = "/bin/bash";

  /** The hazard as seed 003 states it: the unfixed kernel takes no flush lock either. */
  public StubBreakout() {
    this(false);
  }

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
    return start(fixed ? BatchPlacement.CODE_PAGE : BatchPlacement.DATA_PAGE, fixed || alwaysSerialized);
  }

  /** The race with the records in {@code placement}, with or without the per-mm flush lock. */
  public Interleaving start(BatchPlacement placement, boolean serialized) {
    SmpUml uml = new SmpUml(2, k -> k.perform(new GuestOperation.Mmap(WINDOW, 2, Prot.RW, false)));
    int w = uml.arch.wordSize();
    long recordsFrame;
    long recordsVa;
    if (placement == BatchPlacement.DATA_PAGE) {
      recordsFrame = uml.mm.stubDataFrame();
      recordsVa = uml.arch.stubData() + StubPages.BATCH_RECORDS;
    } else {
      recordsFrame = uml.mapCommandPage();
      recordsVa = uml.commandPage() + StubPages.BATCH_RECORDS;
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
    Flush.script(m.addCpu(), uml, m, ops, recordsFrame, recordsVa, serialized ? flushLock : null);
    forger(m.addCpu(), uml, m);
    return m;
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
