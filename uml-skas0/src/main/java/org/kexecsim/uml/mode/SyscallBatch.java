package org.kexecsim.uml.mode;

import java.util.List;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostArch.Syscall;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.PtraceRequest;
import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.Signal;
import org.kexecsim.uml.host.WaitStatus;
import org.kexecsim.uml.kernel.HostOp;

/**
 * The kernel side of skas0 address-space updates (run_syscall_stub, arch/um/kernel/skas/
 * mem_user.c): write the register sets into the data page, point the child's registers at the
 * stub, continue it and wait for its SIGSTOP. One run is one round trip however many records it
 * holds; that is the amortization the seed claims for fork and exec.
 */
public final class SyscallBatch {
  private static final long MAP_SHARED_FIXED = 0x01 | 0x10;

  private SyscallBatch() {}

  /** Executes {@code ops} in {@code child}, {@code capacity} per run; returns the runs made. */
  static int run(HostMachine host, HostProcess kernel, HostProcess child, long dataFrame,
      List<HostOp> ops, int capacity) {
    int runs = 0;
    for (int from = 0; from < ops.size(); from += capacity) {
      List<HostOp> chunk = ops.subList(from, Math.min(ops.size(), from + capacity));
      load(host, dataFrame, chunk);
      launch(host, kernel, child);
      collect(host, kernel, child, dataFrame, chunk);
      runs++;
    }
    return runs;
  }

  /** Phase 1: the kernel writes the register sets and the terminating 0 into the data page. */
  public static void load(HostMachine host, long dataFrame, List<HostOp> chunk) {
    HostArch arch = host.arch();
    Physmem mem = host.physmem();
    int w = arch.wordSize();
    if (chunk.size() > StubPages.capacity(arch)) {
      throw new IllegalArgumentException(chunk.size() + " records do not fit in the data page");
    }
    long rec = dataFrame + StubPages.BATCH_RECORDS;
    for (HostOp op : chunk) {
      long[] r = encode(arch, op);
      for (int i = 0; i < r.length; i++) {
        arch.writeWord(mem, rec + (long) i * w, r[i]);
      }
      rec += (long) StubPages.RECORD_WORDS * w;
    }
    arch.writeWord(mem, rec, 0); // the terminating syscall number 0
    arch.writeWord(mem, dataFrame + StubPages.BATCH_DONE, 0);
    arch.writeWord(mem, dataFrame + StubPages.BATCH_RET, 0);
  }

  /**
   * Phase 2: point the stopped child at the stub with its stack on the records, and continue
   * it. The child then runs only when stepped or waited for, so a schedule can interleave.
   */
  public static void launch(HostMachine host, HostProcess kernel, HostProcess child) {
    launch(host, kernel, child, host.arch().stubData() + StubPages.BATCH_RECORDS);
  }

  /**
   * Phase 2 with the records at {@code recordsVa} in the child, e.g. in a page it can only read
   * (the fix seed 003 proposes: "move the data to the code page").
   */
  public static void launch(HostMachine host, HostProcess kernel, HostProcess child, long recordsVa) {
    host.ptrace(kernel, new PtraceRequest.SetRegs(child.pid(), Registers.at(host.arch().stubCode(), recordsVa)));
    host.ptrace(kernel, new PtraceRequest.Cont(child.pid(), null));
  }

  /** Phase 3: wait for the stub's SIGSTOP and check that every record ran and none failed. */
  public static void collect(HostMachine host, HostProcess kernel, HostProcess child, long dataFrame,
      List<HostOp> chunk) {
    Physmem mem = host.physmem();
    HostArch arch = host.arch();
    int w = arch.wordSize();
    WaitStatus st = host.wait(kernel, child.pid());
    if (!(st instanceof WaitStatus.Stopped(int pid, Signal s) && s instanceof Signal.Sigstop)) {
      throw new IllegalStateException("syscall stub of " + child + " ended with " + st + ", expected SIGSTOP");
    }
    long done = arch.readWord(mem, dataFrame + StubPages.BATCH_DONE);
    long ret = w == 8 ? arch.readWord(mem, dataFrame + StubPages.BATCH_RET) : (int) arch.readWord(mem, dataFrame + StubPages.BATCH_RET);
    if (done != chunk.size() || (ret < 0 && ret > -4096)) {
      throw new IllegalStateException(String.format(
          "host failed %s in the stub of %s: %d (record %d of %d)",
          chunk.get((int) Math.max(0, Math.min(chunk.size(), done) - 1)), child, ret, done, chunk.size()));
    }
  }

  /** A register set: syscall number, then the six arguments. */
  public static long[] encode(HostArch arch, HostOp op) {
    return switch (op) {
      case HostOp.Map m -> new long[] {arch.nr(Syscall.MMAP), m.va(), m.len(), m.prot(),
          MAP_SHARED_FIXED, Physmem.FD, arch == HostArch.I386 ? m.offset() >>> 12 : m.offset()};
      case HostOp.Unmap u -> new long[] {arch.nr(Syscall.MUNMAP), u.va(), u.len(), 0, 0, 0, 0};
      case HostOp.Protect p -> new long[] {arch.nr(Syscall.MPROTECT), p.va(), p.len(), p.prot(), 0, 0, 0};
    };
  }

}
