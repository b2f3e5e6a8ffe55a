package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Ticks;
import org.kexecsim.uml.mode.Protocol;
import org.kexecsim.uml.mode.Skas0Options;
import org.kexecsim.uml.mode.UmlMode;

/**
 * With --protocol today the model is within ±10% of two measurements of Debian's 6.1
 * user-mode-linux traced with strace (UML kernel process only, runs with n and with 0):
 * the research table (uml-anchors.md §5, an AMD EPYC host) and the live oracle run on this
 * project's CI host (Intel Xeon with AMX; scripts/uml-live-oracle.sh, round trips counted as
 * PTRACE_SYSEMU/CONT resumes). Like is compared with like: the live oracle's counts without the
 * clock tick's stops against the model without ticks, and the ticks' own share directly against
 * the model whose clock runs as the host's did in that run, within ±3·sqrt(k)/n
 * ({@link UmlLiveOracleTest#compare}; the model's share is above live in some rows, a finding named
 * in {@link UmlLiveOracleTest.Comparison}); the
 * research table counted everything strace saw, ticks included, so it is compared with the model
 * with its measured clock ({@link Ticks#MEASURED}).
 *
 * <p>The one row that misses: getpid against the research table (5.7 ptrace, 1.2 wait4). The
 * mechanism costs exactly 5 and 1 (GETREGS, GETREGSET, SETREGS, SETREGSET, SYSEMU; the live
 * trace shows 4.99 and 1.00 over 2000 calls), and a tick 5 ptrace calls and 1 wait4 more; the
 * research row's excess (0.7 and 0.2) would need 0.14 to 0.2 ticks per getpid, 1.4 to 2 ms of
 * host time per getpid at HZ=100, against 0.16 ms measured under strace on this host (the
 * model's clock: 5 x 27.16 + 25.60 µs; the live runs show 0.15 to 0.18 ms per getpid) and the
 * row's own 27 µs untraced. The measured clock gives 0.016 ticks per getpid, 5.08 and 1.02; only
 * a clock fitted to this row would reach it.
 */
class CostFidelityTest {
  static final UmlMode TODAY = new UmlMode.Skas0(Skas0Options.PATCHED, Protocol.TODAY);

  /** workload, n, ptrace, wait4, round trips: the research table, row by row. */
  static Stream<Arguments> researchTable() {
    return Stream.of(
        Arguments.of("getpid", 200, 5.7, 1.2, 1),
        Arguments.of("touch", 200, 11.2, 3.1, 3),
        Arguments.of("read-then-write", 200, 24.3, 7.1, 7),
        Arguments.of("mmap-munmap", 200, 10.3, 2.0, 2),
        Arguments.of("mmap-touch-munmap", 200, 25.4, 7.1, 7),
        Arguments.of("mprotect", 200, 14.3, 4.1, 4),
        Arguments.of("fork-exit-wait", 50, 131, 41, 41),
        Arguments.of("fork-exec-exit-wait", 10, 949, 272, 272),
        Arguments.of("pipe-pingpong", 200, 27.2, 4.2, 4));
  }

  /**
   * The live oracle on this host, as scripts/uml-live-oracle.sh printed it (2026-12-07 20:18:25 to 20:20:31 UTC,
   * load average about 8: the SIGALRM rate fell to 50 Hz in some rows and the time per call
   * rose to several times the quiet host's, so the ticks' share varies from row to row).
   */
  static final String RECORDED_LIVE_RUN = ""
      + "getpid               n=2000  ptrace 5.00 wait4 1.00 round-trips 1.00 "
          + "timer-ptrace 0.09 timer-wait4 0.02 timer-resumes 0.02 "
          + "ticks 0.0180 ms 0.1779 hz 101.2 tick-sd-ms 3.509 "
          + "us-per-ptrace 26.03 us-per-wait4 38.42 us-blocked-per-wait4 13.64\n"
      + "touch                n=1000  ptrace 11.02 wait4 2.99 round-trips 2.99 "
          + "timer-ptrace 0.60 timer-wait4 0.27 timer-resumes 0.26 "
          + "ticks 0.3240 ms 6.5231 hz 50.2 tick-sd-ms 17.297 "
          + "us-per-ptrace 371.26 us-per-wait4 573.45 us-blocked-per-wait4 168.56\n"
      + "read-then-write      n=1000  ptrace 23.99 wait4 6.99 round-trips 6.99 "
          + "timer-ptrace 0.31 timer-wait4 0.20 timer-resumes 0.17 "
          + "ticks 0.2040 ms 2.8380 hz 72.0 tick-sd-ms 9.533 "
          + "us-per-ptrace 72.98 us-per-wait4 146.44 us-blocked-per-wait4 65.32\n"
      + "mmap-munmap          n=1000  ptrace 9.97 wait4 1.99 round-trips 1.99 "
          + "timer-ptrace 0.15 timer-wait4 0.03 timer-resumes 0.03 "
          + "ticks 0.0310 ms 0.3125 hz 99.3 tick-sd-ms 2.661 "
          + "us-per-ptrace 27.20 us-per-wait4 14.40 us-blocked-per-wait4 5.26\n"
      + "mmap-touch-munmap    n=1000  ptrace 25.00 wait4 6.99 round-trips 6.99 "
          + "timer-ptrace 0.64 timer-wait4 0.24 timer-resumes 0.25 "
          + "ticks 0.2670 ms 4.9875 hz 54.2 tick-sd-ms 30.257 "
          + "us-per-ptrace 159.35 us-per-wait4 138.53 us-blocked-per-wait4 43.54\n"
      + "mprotect             n=1000  ptrace 13.97 wait4 3.99 round-trips 3.99 "
          + "timer-ptrace 0.13 timer-wait4 0.06 timer-resumes 0.06 "
          + "ticks 0.0570 ms 0.5684 hz 99.1 tick-sd-ms 1.221 "
          + "us-per-ptrace 32.08 us-per-wait4 35.78 us-blocked-per-wait4 24.02\n"
      + "fork-exit-wait       n=200   ptrace 139.97 wait4 42.98 round-trips 41.98 "
          + "timer-ptrace 5.76 timer-wait4 3.40 timer-resumes 2.46 "
          + "ticks 2.9650 ms 38.7469 hz 76.7 tick-sd-ms 11.415 "
          + "us-per-ptrace 120.34 us-per-wait4 442.52 us-blocked-per-wait4 301.04\n"
      + "fork-exec-exit-wait  n=50    ptrace 857.78 wait4 237.74 round-trips 235.74 "
          + "timer-ptrace 56.46 timer-wait4 27.12 timer-resumes 22.50 "
          + "ticks 25.6800 ms 312.8405 hz 81.7 tick-sd-ms 8.404 "
          + "us-per-ptrace 180.80 us-per-wait4 555.01 us-blocked-per-wait4 320.38\n"
      + "pipe-pingpong        n=1000  ptrace 26.04 wait4 3.99 round-trips 3.99 "
          + "timer-ptrace 0.53 timer-wait4 0.10 timer-resumes 0.07 "
          + "ticks 0.0600 ms 0.6042 hz 89.7 tick-sd-ms 6.887 "
          + "us-per-ptrace 33.89 us-per-wait4 126.56 us-blocked-per-wait4 92.14\n";

  @org.junit.jupiter.api.Test
  void everyRowIsWithinTenPercentOfTheRecordedLiveOracleLikeWithLike() {
    UmlLiveOracleTest.Comparison c = UmlLiveOracleTest.compare(RECORDED_LIVE_RUN);
    assertEquals(9, c.rows());
    c.assertNoneBelowLive(RECORDED_LIVE_RUN);
  }

  @org.junit.jupiter.api.Test
  void theRowsDependOnTheProtocolThe2005OneCostsOtherwise() {
    SimulationResult old = UmlSimulation.run(new UmlSimulation.Settings(
        new UmlMode.Skas0(Skas0Options.PATCHED), Workload.GETPID, 50, HostArch.X86_64, 1));
    // the seed's protocol has no xstate: SETREGS + SYSEMU + GETREGS per system call
    within("2005 getpid ptrace calls", old.perOperation().ptraceCalls(), 3);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("researchTable")
  void i386HostsPayTheSame(String workload, int n, double ptrace, double wait4, double rt) {
    // the protocol is the same on both hosts; only the stub's machine code and the layouts differ
    PerOperation x = model(workload, Math.min(n, 20));
    PerOperation i = UmlSimulation.run(new UmlSimulation.Settings(
        TODAY, Workload.parse(workload), Math.min(n, 20), HostArch.I386, 1)).perOperation();
    org.junit.jupiter.api.Assertions.assertEquals(x, i, workload);
  }

  static PerOperation model(String workload, int n) {
    return UmlSimulation.run(new UmlSimulation.Settings(TODAY, Workload.parse(workload), n, HostArch.X86_64, 1)).perOperation();
  }

  static PerOperation modelWithTicks(String workload, int n) {
    return UmlSimulation.run(new UmlSimulation.Settings(TODAY, Workload.parse(workload), n, HostArch.X86_64, 1,
        Ticks.MEASURED)).perOperation();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("researchTable")
  void everyRowButGetpidIsWithinTenPercentOfTheResearchTableWithTheMeasuredClock(
      String workload, int n, double ptrace, double wait4, double rt) {
    PerOperation p = modelWithTicks(workload, n);
    System.out.printf("%-20s model+ticks %7.2f %6.2f %6.2f  table %7.2f %6.2f %6.2f  (ticks %.4f)%n", workload,
        p.ptraceCalls(), p.wait4Calls(), p.roundTrips(), ptrace, wait4, rt, p.ticks().ticks());
    if (!workload.equals("getpid")) { // see the class comment
      within(workload + " ptrace calls", p.ptraceCalls(), ptrace);
      within(workload + " wait4 calls", p.wait4Calls(), wait4);
    }
    within(workload + " round trips", p.roundTrips(), rt);
  }

  @org.junit.jupiter.api.Test
  void getpidMissesTheResearchRowBecauseItsExcessIsMoreTicksThanTheMeasuredClockGives() {
    PerOperation p = modelWithTicks("getpid", 2000);
    // the mechanism is the row's five calls and one wait4, exactly
    assertEquals(5.0, p.withoutTicks().ptraceCalls(), 1e-9);
    assertEquals(1.0, p.withoutTicks().wait4Calls(), 1e-9);
    // the row's excess over them is 0.7 ptrace calls; the measured clock's ticks give a small
    // part of it (5 ptrace calls per tick, 0.016 ticks per getpid), the rest would need a clock
    // several times faster than the one measured
    assertTrue(p.ticks().ptraceCalls() < 0.7 / 4, p.ticks() + " per getpid: the measured clock gives "
        + p.ticks().ptraceCalls() + " of the row's 0.7 excess ptrace calls");
  }

  static void within(String what, double model, double measured) {
    assertTrue(Math.abs(model - measured) <= 0.10 * measured,
        String.format("%s: model %.2f, measured %.2f (more than 10%% apart)", what, model, measured));
  }
}
