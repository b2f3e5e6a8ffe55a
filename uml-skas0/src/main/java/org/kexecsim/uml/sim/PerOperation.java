package org.kexecsim.uml.sim;

/**
 * What one unit of a workload cost the UML kernel process, on average: its ptrace(2) and
 * wait4(2) calls and its round trips with the stub processes. The figures strace shows for the
 * UML kernel process (uml-anchors.md §5), so the model and the live oracle compare directly.
 * They include the clock tick's share, {@code ticks} (all zero without a clock).
 */
public record PerOperation(double ptraceCalls, double wait4Calls, double roundTrips, TickShare ticks) {
  public PerOperation(double ptraceCalls, double wait4Calls, double roundTrips) {
    this(ptraceCalls, wait4Calls, roundTrips, TickShare.NONE);
  }

  /**
   * The clock tick's part of a unit: ticks that reached the UML kernel, and the ptrace calls,
   * wait4 calls and round trips they caused (the live oracle's "timer" columns).
   */
  public record TickShare(double ticks, double ptraceCalls, double wait4Calls, double roundTrips) {
    public static final TickShare NONE = new TickShare(0, 0, 0, 0);
  }

  /** The mechanism's own cost: the figures without the tick's share. */
  public PerOperation withoutTicks() {
    return new PerOperation(ptraceCalls - ticks.ptraceCalls(), wait4Calls - ticks.wait4Calls(),
        roundTrips - ticks.roundTrips());
  }
}
