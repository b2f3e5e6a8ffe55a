package org.kexecsim.uml.sim;

import java.util.Locale;
import org.kexecsim.input.CliNamed;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.CostLedger;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.kernel.GuestOperation;
import org.kexecsim.uml.kernel.UmlKernel;

/** The workloads a simulation can run, each driven by {@code n}. */
public enum Workload implements CliNamed {
  /** n guest page faults: pages of a 256-page window read, then written (two faults a page). */
  FAULT_STORM(10_000_000),
  /** n times: mmap 64 pages with MAP_POPULATE, then munmap them. */
  MMAP_BURST(1_000_000),
  /** n times: fork, exec a 32-page image in the child, exit the child. */
  FORK_EXEC(100_000),
  /** n guest context switches between two processes (sched_yield). */
  CTX_SWITCH(10_000_000),
  // The rows of the measured table (uml-anchors.md §5), one unit of each per n:
  /** getpid(). */
  GETPID(1_000_000),
  /** The first write to a page of a fresh anonymous mapping of n pages. */
  TOUCH(4096),
  /** A read, then a write, of a page of a fresh anonymous mapping of n pages. */
  READ_THEN_WRITE(4096),
  /** mmap of one page, munmap of it, never touched. */
  MMAP_MUNMAP(1_000_000),
  /** mmap of one page, a write to it, munmap. */
  MMAP_TOUCH_MUNMAP(1_000_000),
  /** mprotect read-only, mprotect read-write, a write, on one dirty page. */
  MPROTECT(1_000_000),
  /** fork; the child writes its stack and data and exits; the parent writes its own and waits. */
  FORK_EXIT_WAIT(100_000),
  /** fork; the child execs a static image, which starts up and exits; the parent waits. */
  FORK_EXEC_EXIT_WAIT(10_000),
  /** One byte each way through two pipes between two processes: 4 system calls, 2 switches. */
  PIPE_PINGPONG(1_000_000);

  /** Where the workloads map their memory. */
  public static final long WINDOW = 0x1000_0000L;
  public static final int WINDOW_PAGES = 256;
  public static final int BURST_PAGES = 64;
  public static final int EXEC_PAGES = 32;

  private final long maxN;

  Workload(long maxN) {
    this.maxN = maxN;
  }

  public long maxN() {
    return maxN;
  }

  public static Workload parse(String name) {
    return CliNamed.find(Workload.class, name.toLowerCase(Locale.ROOT))
        .orElseThrow(() -> new UmlInputException(CliNamed.unknown(Workload.class, "workload", name)));
  }

  void checkN(long n) {
    if (n < 1 || n > maxN) {
      throw new UmlInputException(String.format("n = %d is out of range for %s: expected 1..%d", n, cliName(), maxN));
    }
  }

  /**
   * What the units of {@code n} cost, without the set-up before them: the per-operation figures
   * the live oracle measures (strace of the UML kernel process, runs with n and with 0).
   */
  PerOperation measure(UmlKernel k, long n) {
    setUp(k, n);
    CostLedger l = k.ledger();
    long[] before = {l.total(Cost.PTRACE), l.total(Cost.WAIT4), l.total(Cost.ROUND_TRIP),
        l.ticks(), l.tickTotal(Cost.PTRACE), l.tickTotal(Cost.WAIT4), l.tickTotal(Cost.ROUND_TRIP)};
    drive(k, n);
    double u = n;
    return new PerOperation((l.total(Cost.PTRACE) - before[0]) / u, (l.total(Cost.WAIT4) - before[1]) / u,
        (l.total(Cost.ROUND_TRIP) - before[2]) / u,
        new PerOperation.TickShare((l.ticks() - before[3]) / u, (l.tickTotal(Cost.PTRACE) - before[4]) / u,
            (l.tickTotal(Cost.WAIT4) - before[5]) / u, (l.tickTotal(Cost.ROUND_TRIP) - before[6]) / u));
  }

  /** The pages the child and the parent write after a fork (see {@link #forkUnit}). */
  static final int CHILD_WRITES = 4;
  static final int PARENT_WRITES = 3;
  /** The exec'd static image: pages, and the system calls its start-up makes. */
  static final int STATIC_IMAGE_PAGES = 60;
  static final int STARTUP_SYSCALLS = 14;

  private void setUp(UmlKernel k, long n) {
    switch (this) {
      case TOUCH, READ_THEN_WRITE -> k.perform(new GuestOperation.Mmap(WINDOW, n, Prot.RW, false));
      case MPROTECT -> {
        k.perform(new GuestOperation.Mmap(WINDOW, 1, Prot.RW, false));
        k.perform(new GuestOperation.Touch(WINDOW, true));
      }
      case PIPE_PINGPONG -> {
        k.perform(new GuestOperation.Fork()); // the child runs first and blocks in read
        k.perform(new GuestOperation.Yield());
      }
      default -> { }
    }
  }

  /**
   * One fork: the child returns into user space and writes {@link #CHILD_WRITES} pages (its
   * stack, libc's data), then execs {@code image} pages (0: none) or exits; the parent writes
   * {@link #PARENT_WRITES} and waits. The page counts are the live oracle's: a static glibc
   * fork+_exit+waitpid takes 7.3 host SIGSEGVs per fork on Debian's 6.1 UML.
   */
  private static void forkUnit(UmlKernel k, int image) {
    k.perform(new GuestOperation.Fork());
    long stack = k.current().mm().stackTop() - 4096;
    long data = k.arch().textStart() + (UmlSimulation.INIT_IMAGE_PAGES / 2) * 4096L;
    long[] childPages = {stack, data, data + 4096, stack - 4096};
    for (int i = 0; i < CHILD_WRITES; i++) {
      k.perform(new GuestOperation.Touch(childPages[i], true));
    }
    if (image > 0) {
      k.perform(new GuestOperation.Exec(image));
      long text = k.arch().textStart();
      long top = k.current().mm().stackTop();
      int textPages = image / 2;
      for (int i = 0; i < textPages; i++) {
        k.perform(new GuestOperation.Touch(text + i * 4096L, false));
      }
      for (int i = 0; i < image - textPages; i++) {
        k.perform(new GuestOperation.Touch(text + (textPages + i) * 4096L, true));
      }
      k.perform(new GuestOperation.Touch(top - 3 * 4096L, true));
      for (int i = 0; i < STARTUP_SYSCALLS; i++) {
        k.perform(new GuestOperation.Getpid());
      }
    }
    k.perform(new GuestOperation.Exit());
    long[] parentPages = {stack, data, stack - 4096};
    for (int i = 0; i < PARENT_WRITES; i++) {
      k.perform(new GuestOperation.Touch(parentPages[i], true));
    }
    k.perform(new GuestOperation.Wait());
  }

  void drive(UmlKernel k, long n) {
    switch (this) {
      case GETPID -> {
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Getpid());
        }
      }
      case TOUCH, READ_THEN_WRITE -> {
        for (long i = 0; i < n; i++) {
          if (this == READ_THEN_WRITE) {
            k.perform(new GuestOperation.Touch(WINDOW + i * 4096L, false));
          }
          k.perform(new GuestOperation.Touch(WINDOW + i * 4096L, true));
        }
      }
      case MMAP_MUNMAP, MMAP_TOUCH_MUNMAP -> {
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Mmap(WINDOW, 1, Prot.RW, false));
          if (this == MMAP_TOUCH_MUNMAP) {
            k.perform(new GuestOperation.Touch(WINDOW, true));
          }
          k.perform(new GuestOperation.Munmap(WINDOW, 1));
        }
      }
      case MPROTECT -> {
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Mprotect(WINDOW, 1, Prot.READ));
          k.perform(new GuestOperation.Mprotect(WINDOW, 1, Prot.RW));
          k.perform(new GuestOperation.Touch(WINDOW, true));
        }
      }
      case FORK_EXIT_WAIT -> {
        for (long i = 0; i < n; i++) {
          forkUnit(k, 0);
        }
      }
      case FORK_EXEC_EXIT_WAIT -> {
        for (long i = 0; i < n; i++) {
          forkUnit(k, STATIC_IMAGE_PAGES);
        }
      }
      case PIPE_PINGPONG -> {
        // the stand-ins: write() is a system call that changes no memory (getpid); a read()
        // that blocks is one that gives the CPU to the other process (sched_yield)
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Getpid()); // parent: write(a)
          k.perform(new GuestOperation.Yield()); // parent: read(b) blocks; child's read(a) returns
          k.perform(new GuestOperation.Getpid()); // child: write(b)
          k.perform(new GuestOperation.Yield()); // child: read(a) blocks; parent's read(b) returns
        }
      }
      case FAULT_STORM -> {
        long faults = 0;
        while (faults < n) {
          k.perform(new GuestOperation.Mmap(WINDOW, WINDOW_PAGES, Prot.RW, false));
          for (int i = 0; i < WINDOW_PAGES && faults < n; i++) {
            long va = WINDOW + i * 4096L;
            k.perform(new GuestOperation.Touch(va, false)); // demand paging: a fresh page, read
            faults++;
            if (faults < n) {
              k.perform(new GuestOperation.Touch(va, true)); // then written
              faults++;
            }
          }
          k.perform(new GuestOperation.Munmap(WINDOW, WINDOW_PAGES));
        }
      }
      case MMAP_BURST -> {
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Mmap(WINDOW, BURST_PAGES, Prot.RW, true));
          k.perform(new GuestOperation.Munmap(WINDOW, BURST_PAGES));
        }
      }
      case FORK_EXEC -> {
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Fork());
          k.perform(new GuestOperation.Exec(EXEC_PAGES));
          k.perform(new GuestOperation.Exit());
        }
      }
      case CTX_SWITCH -> {
        k.perform(new GuestOperation.Fork());
        for (long i = 0; i < n; i++) {
          k.perform(new GuestOperation.Yield());
        }
      }
    }
  }
}
