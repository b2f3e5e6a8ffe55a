package org.kexecsim.uml.host;

import java.util.Locale;
import org.kexecsim.uml.UmlInputException;

/**
 * Whether the host's clock ticks for UML, and how fast the host's time goes. UML 6.1 asks the host
 * for a CLOCK_MONOTONIC timer (arch/um/os-Linux/time.c os_timer_create: timer_create with no
 * sigevent, so SIGALRM to the UML kernel process) at HZ; every SIGALRM runs um_timer, which
 * relays it with kill(2) to the host process of the current guest mm (arch/um/kernel/time.c
 * um_timer, os_alarm_process). The model has no wall clock: its time is the sum of what each host
 * call the UML kernel makes would take, so a run is deterministic for its input.
 */
public sealed interface Ticks {
  /** No clock tick: the host costs of the mechanism alone. */
  record None() implements Ticks {}

  /**
   * A tick every {@code periodNanos} of host time, which passes {@code ptraceNanos} per ptrace
   * call and {@code wait4Nanos} per wait4 of the UML kernel (until its next call: the child's run
   * and the kernel's own work after it). The first {@code wait4BlockedNanos} of a wait4 are spent
   * blocked in it: a tick then interrupts the call. Tick k reaches the kernel at k periods plus a
   * delay drawn from [0, {@code jitterNanos}) (seeded: the same run, the same delays), as the
   * SIGALRMs strace sees vary around HZ; without it a workload whose unit lasts a fraction of the
   * period would meet the tick at the same call every time.
   */
  record Clock(long periodNanos, long ptraceNanos, long wait4Nanos, long wait4BlockedNanos, long jitterNanos)
      implements Ticks {
    public Clock {
      if (periodNanos < 100_000 || periodNanos > 10_000_000_000L || ptraceNanos < 0 || wait4Nanos < 0
          || ptraceNanos + wait4Nanos == 0 || wait4BlockedNanos < 0 || wait4BlockedNanos > wait4Nanos
          || jitterNanos < 0 || jitterNanos >= periodNanos) {
        throw new IllegalArgumentException(String.format("clock: period %d ns must be 0.1 ms..10 s, call times "
            + "%d/%d ns not negative and not both 0, blocked %d ns at most the wait4's, jitter %d ns below the period",
            periodNanos, ptraceNanos, wait4Nanos, wait4BlockedNanos, jitterNanos));
      }
    }

    /** A tick at {@code hz} per second of host time. */
    public static Clock hz(double hz, long ptraceNanos, long wait4Nanos, long wait4BlockedNanos, long jitterNanos) {
      return new Clock(Math.round(1e9 / hz), ptraceNanos, wait4Nanos, wait4BlockedNanos, jitterNanos);
    }
  }

  Ticks NONE = new None();

  /**
   * HZ=100 (Debian's user-mode-linux 6.1 config, uml-anchors.md §5; the run measured here saw
   * 98.6 to 100.2 SIGALRMs a second) and the host's time per call of the UML kernel, as
   * scripts/uml-live-oracle.sh's "pooled over" line gives it (strace -ttt -T of the UML kernel
   * process; a call lasts until the next traced event) for its N runs of getpid (2000), touch
   * (1000) and pipe-pingpong (1000) in one run on this project's CI host (Intel Xeon with AMX,
   * 2 vCPUs shared with other jobs, load average about 7), 2026-12-07 20:17:33 to 20:18:02 UTC:
   * 27.16 µs per ptrace call (50,476 calls), 25.60 µs per wait4 (9,910), of which 10.77 µs
   * blocked inside it; the 158 intervals between SIGALRMs had a mean of 10.07 ms and a standard
   * deviation of 1.72 ms (a delay uniform over [0, J) has sd J/sqrt(6) between ticks, so
   * J = 4.22 ms). This is one pick, not a typical value: the same three workloads pooled over the
   * other runs of that hour gave 18.52 µs per ptrace (19:59), 35.82 (20:06, getpid and touch),
   * 172.01 (20:11) and 114.50 (20:18:25, the run CostFidelityTest keeps), with SIGALRM intervals of
   * sd 0.45 to 15.15 ms: the host's load, not UML, sets these. The constant is the run whose
   * SIGALRM rate was HZ's (the host was not starving UML's timer), taken as measured, not
   * adjusted to any row.
   */
  Clock MEASURED = Clock.hz(100, 27_160, 25_600, 10_770, 4_220_000);

  /** none or measured. */
  static Ticks parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "none" -> NONE;
      case "measured" -> MEASURED;
      default -> throw new UmlInputException("unknown ticks '" + name + "': expected none or measured");
    };
  }

  /** The CLI's name for a setting; a clock other than {@link #MEASURED} shows its numbers. */
  default String cliName() {
    return switch (this) {
      case None n -> "none";
      case Clock c when c.equals(MEASURED) -> "measured";
      case Clock c -> String.format("period=%dns,ptrace=%dns,wait4=%dns,blocked=%dns,jitter=%dns", c.periodNanos(),
          c.ptraceNanos(), c.wait4Nanos(), c.wait4BlockedNanos(), c.jitterNanos());
    };
  }
}
