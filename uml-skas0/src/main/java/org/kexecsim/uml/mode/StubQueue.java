package org.kexecsim.uml.mode;

import java.util.List;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.kernel.HostOp;

/**
 * struct stub_data of today's ptrace mode (arch/um/include/shared/skas/stub-data.h): words
 * offset, err, child_err, syscall_data_len, then syscall_data[99] of struct stub_syscall
 * {mem {addr, length, offset, fd, prot}, syscall}: 40 bytes on x86_64 (so the entries start at
 * 32), 24 on i386. 99 entries is (4096 - 128) / 40; a fuller queue is flushed first
 * (syscall_stub_alloc). Types as in 6.11 (UNSET 0, MMAP 1, MUNMAP 2, MPROTECT 3).
 */
final class StubQueue {
  private StubQueue() {}

  static final int OFFSET = 0;
  static final int ERR = 1;
  static final int CHILD_ERR = 2;
  static final int LEN = 3;
  static final int CAPACITY = 99;
  static final int MMAP = 1;
  static final int MUNMAP = 2;
  static final int MPROTECT = 3;

  record Entry(long addr, long length, long offset, int fd, int prot, int type) {}

  static int entriesOffset(HostArch a) {
    return 4 * a.wordSize();
  }

  static int entrySize(HostArch a) {
    return a.wordSize() == 8 ? 40 : 24;
  }

  static Entry read(PhysicalMemory m, long at, HostArch a) {
    int w = a.wordSize();
    return new Entry(a.readWord(m, at), a.readWord(m, at + w), a.readWord(m, at + 2L * w),
        (int) m.readU32(at + 3L * w), (int) m.readU32(at + 3L * w + 4), (int) m.readU32(at + 3L * w + 8));
  }

  /** The kernel's side (add_mmap, add_munmap, ... in arch/um/os-Linux/skas/mem.c): fills the queue. */
  static void write(Physmem m, long dataFrame, HostArch a, List<HostOp> ops) {
    int w = a.wordSize();
    if (ops.size() > CAPACITY) {
      throw new IllegalArgumentException(ops.size() + " entries do not fit in the stub queue");
    }
    long at = dataFrame + entriesOffset(a);
    for (HostOp op : ops) {
      Entry e = switch (op) {
        case HostOp.Map x -> new Entry(x.va(), x.len(), x.offset(), Physmem.FD, x.prot(), MMAP);
        case HostOp.Unmap x -> new Entry(x.va(), x.len(), 0, 0, 0, MUNMAP);
        case HostOp.Protect x -> new Entry(x.va(), x.len(), 0, 0, x.prot(), MPROTECT);
      };
      a.writeWord(m, at, e.addr());
      a.writeWord(m, at + w, e.length());
      a.writeWord(m, at + 2L * w, e.offset());
      m.writeU32(at + 3L * w, e.fd());
      m.writeU32(at + 3L * w + 4, e.prot());
      m.writeU32(at + 3L * w + 8, e.type());
      at += entrySize(a);
    }
    a.writeWord(m, dataFrame + (long) ERR * w, 0);
    a.writeWord(m, dataFrame + (long) LEN * w, ops.size());
  }

}
