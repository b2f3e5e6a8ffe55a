package org.kexecsim.uml.kernel;

/**
 * What a workload asks the current guest process to do. Each is one ledger entry, named by
 * {@link #name()}.
 */
public sealed interface GuestOperation {
  String name();

  /** A load or store of one byte: faults when the page is not (yet, or not writably) mapped. */
  record Touch(long address, boolean write) implements GuestOperation {
    public String name() {
      return write ? "touch-write" : "touch-read";
    }
  }

  /** getpid(): the cheapest kernel entry. */
  record Getpid() implements GuestOperation {
    public String name() {
      return "syscall";
    }
  }

  record Mmap(long address, long pages, int prot, boolean populate) implements GuestOperation {
    public String name() {
      return "mmap";
    }
  }

  record Munmap(long address, long pages) implements GuestOperation {
    public String name() {
      return "munmap";
    }
  }

  record Mprotect(long address, long pages, int prot) implements GuestOperation {
    public String name() {
      return "mprotect";
    }
  }

  /** fork(); the child runs first. */
  record Fork() implements GuestOperation {
    public String name() {
      return "fork";
    }
  }

  /** execve() of a static image of {@code imagePages} pages, loaded eagerly. */
  record Exec(int imagePages) implements GuestOperation {
    public String name() {
      return "exec";
    }
  }

  /** sched_yield(): the next runnable process gets the CPU. */
  record Yield() implements GuestOperation {
    public String name() {
      return "context-switch";
    }
  }

  /** waitpid() for a child that has exited already: a system call that changes no memory. */
  record Wait() implements GuestOperation {
    public String name() {
      return "wait";
    }
  }

  record Exit() implements GuestOperation {
    public String name() {
      return "exit";
    }
  }
}
