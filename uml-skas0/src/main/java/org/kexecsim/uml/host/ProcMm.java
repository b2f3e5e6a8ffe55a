package org.kexecsim.uml.host;

/**
 * A /proc/mm handle of the skas3 host patch: open() creates an empty address space, write()s of
 * a struct proc_mm_op change it, close() drops it (arch/um/kernel/skas/include/proc_mm.h).
 * The host's open ({@link HostProcMm}) numbers the fd and creates the space; the constructor is
 * public only because a record's canonical constructor must be as accessible as the record
 * (JLS 8.10.4), and a handle built with it names an fd the host never opened.
 */
public record ProcMm(int fd, HostAddressSpace space) {
  /** struct proc_mm_op: MM_MMAP 54, MM_MUNMAP 55, MM_MPROTECT 56, MM_COPY_SEGMENTS 57. */
  public sealed interface Op {
    int code();

    record Mmap(long addr, long len, int prot, long offset) implements Op {
      public int code() {
        return 54;
      }
    }

    record Munmap(long addr, long len) implements Op {
      public int code() {
        return 55;
      }
    }

    record Mprotect(long addr, long len, int prot) implements Op {
      public int code() {
        return 56;
      }
    }

    /** Copies the LDT from another handle; the model has no LDT, so only the call is paid. */
    record CopySegments(ProcMm from) implements Op {
      public int code() {
        return 57;
      }
    }
  }
}
