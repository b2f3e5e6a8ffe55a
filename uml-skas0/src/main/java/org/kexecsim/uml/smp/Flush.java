package org.kexecsim.uml.smp;

import java.util.List;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.HostOp;
import org.kexecsim.uml.mode.StubPages;
import org.kexecsim.uml.mode.SyscallBatch;

/**
 * A CPU's TLB flush through the skas0 stub, step by step: fix_range_common collects the ops and
 * run_syscall_stub (arch/um/kernel/skas/mem_user.c, later arch/um/os-Linux/skas/mem.c) writes
 * the register sets, points the CPU's thread at the stub, continues it and waits for its stop.
 * With a lock, the whole flush holds the mm's flush lock (seed 003: "allowing one thread at a
 * time into fix_range_common()").
 */
final class Flush {
  private Flush() {}

  static void script(VirtualCpu cpu, SmpUml uml, Interleaving m, List<HostOp> ops, long frame, long recordsVa,
      ProcessLock lock) {
    int c = cpu.index();
    String k = uml.cpuName(c);
    HostProcess t = uml.userspacePid[c];
    long status = uml.host.physmem().hostPhysical(uml.mm.stubDataFrame() + StubPages.BATCH_DONE);
    long lastRet = uml.host.physmem().hostPhysical(uml.mm.stubDataFrame() + StubPages.BATCH_RET);
    if (lock != null) {
      cpu.then(lock.acquire(c, k));
    }
    cpu.then(k, () -> {
      SyscallBatch.load(uml.host, frame, ops);
      uml.host.writeWord(status, 0); // the stub counts into the data page wherever the records are
      uml.host.writeWord(lastRet, 0);
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
      long done = uml.host.readWord(status);
      long ret = uml.host.readWord(lastRet);
      uml.checkHostExecs(m);
      if (end[0] instanceof WaitStatus.Stopped(int pid, Signal.Sigstop s)) {
        return String.format("the data page says %d register sets ran, last return 0x%x", done, ret);
      }
      return "the stub did not come back with SIGSTOP: " + SmpUml.describe(end[0]);
    });
    if (lock != null) {
      cpu.then(k, lock.release(c));
    }
  }
}
