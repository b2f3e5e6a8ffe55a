package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.SigContext;
import org.kexecsim.uml.host.SigFrame;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.mode.FaultInfo;

/**
 * Hazard 1 of seed 003: two threads of one process take SIGSEGV at once. Both handlers run on the
 * one stub data page of the mm (the sigaltstack every thread of it sets), so the host writes both
 * signal frames at the same address and both handlers store their faultinfo at its base. Each
 * CPU runs get_skas_faultinfo (arch/um/kernel/skas/process.c, later arch/um/os-Linux/skas/
 * process.c): PTRACE_CONT with the SIGSEGV, wait for the handler's stop, copy the faultinfo out.
 * The invariant: the kernel on a CPU reads the cr2, err and trap of its own thread's fault.
 * The fix: "a lock in get_skas_faultinfo() which allows only one thread at a time into
 * wait_stub_done for a given process" (seed 003). Mainline SMP (6.19, research note) went further:
 * a per-mm turnstile mutex around the whole stub interaction.
 */
public record FaultInfoRace(int cpus) implements Hazard {
  static final long WINDOW = 0x1000_0000L;

  public FaultInfoRace {
    if (cpus < 2 || cpus > 4) {
      throw new IllegalArgumentException("faultinfo race runs on 2..4 CPUs, got " + cpus);
    }
  }

  public FaultInfoRace() {
    this(2);
  }

  @Override
  public String name() {
    return "faultinfo-race";
  }

  @Override
  public String fix() {
    return "per-process lock around get_skas_faultinfo";
  }

  @Override
  public Interleaving start(boolean fixed) {
    SmpUml uml = new SmpUml(cpus, k -> k.perform(new GuestOperation.Mmap(WINDOW, cpus, 3, false)));
    Interleaving m = new Interleaving();
    ProcessLock lock = new ProcessLock("mm faultinfo lock");
    for (int c = 0; c < cpus; c++) {
      // each thread faults on its own page, reads and writes alternating, so err differs too
      long address = WINDOW + c * 4096L + 0x10 * (c + 1);
      boolean write = c % 2 == 1;
      uml.resumeUser(c, new Touch(address, write), uml.mm.stackTop() - 256 - c * 1024L);
      script(m.addCpu(), uml, fixed, lock, m);
    }
    return m;
  }

  private static void script(VirtualCpu cpu, SmpUml uml, boolean fixed, ProcessLock lock, Interleaving m) {
    int c = cpu.index();
    String k = uml.cpuName(c);
    HostProcess t = uml.userspacePid[c];
    SigContext[] own = new SigContext[1];
    cpu.then(uml.waitForThread(c, m, w -> {
      if (w instanceof WaitStatus.Stopped(int pid, Signal.Sigsegv s)) {
        own[0] = s.context();
      } else {
        throw new IllegalStateException("cpu" + c + ": expected the thread's SIGSEGV, got " + w);
      }
    }));
    if (fixed) {
      cpu.then(lock.acquire(c, k));
    }
    cpu.then(k, () -> {
      // get_skas_faultinfo: let the stub's handler run with the fault's signal
      uml.host.ptrace(uml.cpuThread[c], new PtraceRequest.Cont(t.pid(), new Signal.Sigsegv(own[0])));
      long frame = t.regs().sp();
      int w = uml.arch.wordSize();
      return String.format("PTRACE_CONT(%d, SIGSEGV): the host writes the signal frame at 0x%x on the stub data page "
          + "(cr2=0x%x err=%d trap=%d)", t.pid(), frame, uml.peek(t, frame + (long) SigFrame.SC_CR2 * w),
          uml.peek(t, frame + (long) SigFrame.SC_ERR * w), uml.peek(t, frame + (long) SigFrame.SC_TRAPNO * w));
    });
    cpu.then(uml.waitForThread(c, m, w -> {
      if (!(w instanceof WaitStatus.Stopped(int pid, Signal.Sigstop s))) {
        throw new IllegalStateException("cpu" + c + ": expected the handler's SIGSTOP, got " + w);
      }
    }));
    cpu.then(k, () -> {
      FaultInfo fi = FaultInfo.read(uml.host.physmem(), uml.mm.stubDataFrame(), uml.arch);
      SigContext mine = own[0];
      String read = String.format("copies faultinfo from the stub data page: cr2=0x%x err=%d trap=%d",
          fi.cr2(), fi.errorCode(), fi.trapNo());
      if (fi.cr2() != mine.cr2() || fi.errorCode() != mine.err() || fi.trapNo() != mine.trap()) {
        m.broke(String.format("cpu%d's kernel read faultinfo cr2=0x%x err=%d trap=%d for %s, "
            + "whose fault was cr2=0x%x err=%d trap=%d: another thread's fault", c, fi.cr2(), fi.errorCode(),
            fi.trapNo(), uml.threadName(c), mine.cr2(), mine.err(), mine.trap()));
        return read + "  <-- not its thread's fault";
      }
      return read + " (its own fault)";
    });
    if (fixed) {
      cpu.then(k, lock.release(c));
    }
  }
}
