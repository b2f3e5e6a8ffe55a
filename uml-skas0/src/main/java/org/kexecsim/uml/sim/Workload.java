package org.kexecsim.uml.sim;

import java.util.Locale;
import org.kexecsim.input.CliNamed;
import org.kexecsim.uml.UmlInputException;
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
  CTX_SWITCH(10_000_000);

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
    return CliNamed.find(Workload.class, name.toLowerCase(Locale.ROOT)).orElseThrow(() -> new UmlInputException(
        "unknown workload '" + name + "': expected fault-storm, mmap-burst, fork-exec or ctx-switch"));
  }

  void checkN(long n) {
    if (n < 1 || n > maxN) {
      throw new UmlInputException(String.format("n = %d is out of range for %s: expected 1..%d", n, cliName(), maxN));
    }
  }

  void drive(UmlKernel k, long n) {
    switch (this) {
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
