package org.kexecsim.uml.smp;

import java.util.List;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.mode.StubPages;

/**
 * Why the fix of the breakout also serializes the flush (seed 003: "This also needs
 * serialization between threads, allowing one thread at a time into fix_range_common()"). Two
 * threads of one mm flush at once on two CPUs through the one records page, read-only to the
 * process and so safe from the guest: CPU 0 unmaps a page the guest freed, CPU 1 maps two
 * others. Unserialized, one CPU's register sets overwrite the other's before its stub ran them,
 * and a munmap is lost: the process keeps host access to a frame UML has freed. The invariant,
 * checked when every CPU is done: each op some CPU asked for is in the host page table.
 */
public record FlushRace() implements Hazard {
  static final long WINDOW = 0x1000_0000L;

  @Override
  public String name() {
    return "flush-race";
  }

  @Override
  public String fix() {
    return "per-mm lock around the flush (fix_range_common)";
  }

  @Override
  public Interleaving start(boolean fixed) {
    SmpUml uml = new SmpUml(2, k -> {
      k.perform(new GuestOperation.Mmap(WINDOW, 3, Prot.RW, false));
      k.perform(new GuestOperation.Touch(WINDOW, true)); // host-mapped now; the guest will free it
    });
    long frame = uml.mapCommandPage();
    long recordsVa = uml.commandPage() + StubPages.BATCH_RECORDS;
    List<HostOp> unmap = List.of(new HostOp.Unmap(WINDOW, 4096));
    List<HostOp> map = List.of(
        new HostOp.Map(WINDOW + 4096, 4096, uml.kernel.frames().allocateZeroed(), Prot.RW),
        new HostOp.Map(WINDOW + 8192, 4096, uml.kernel.frames().allocateZeroed(), Prot.RW));
    Interleaving m = new Interleaving();
    ProcessLock lock = fixed ? new ProcessLock("mm flush lock (fix_range_common)") : null;
    // each thread's own system call is why its CPU flushes: munmap on CPU 0, and on CPU 1 an mmap
    // with MAP_POPULATE (the model's fourth argument), which maps the pages at once
    uml.resumeUser(0, new GuestSyscall(Syscall.MUNMAP, WINDOW, 4096), uml.mm.stackTop() - 256);
    uml.resumeUser(1, new GuestSyscall(Syscall.MMAP, WINDOW + 4096, 8192, Prot.RW, 1), uml.mm.stackTop() - 2048);
    VirtualCpu cpu0 = m.addCpu();
    VirtualCpu cpu1 = m.addCpu();
    for (VirtualCpu cpu : List.of(cpu0, cpu1)) {
      cpu.then(uml.waitForThread(cpu.index(), m, w -> {
        if (!(w instanceof WaitStatus.SyscallStop)) {
          throw new IllegalStateException("cpu" + cpu.index() + ": expected a syscall stop, got " + w);
        }
      }));
    }
    Flush.script(cpu0, uml, m, unmap, frame, recordsVa, lock);
    Flush.script(cpu1, uml, m, map, frame, recordsVa, lock);
    HostProcess p = uml.userspacePid[0];
    m.atEnd(() -> {
      if (uml.peek(p, WINDOW) != -1) {
        m.broke(String.format("cpu0's munmap(0x%x) never ran: the process still reaches the frame UML freed", WINDOW));
      }
      for (HostOp op : map) {
        if (uml.peek(p, op.va()) == -1) {
          m.broke(String.format("cpu1's %s never ran", op));
        }
      }
    });
    return m;
  }
}
