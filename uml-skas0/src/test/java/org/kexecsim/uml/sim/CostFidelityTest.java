package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.mode.Protocol;
import org.kexecsim.uml.mode.Skas0Options;
import org.kexecsim.uml.mode.UmlMode;

/**
 * With --protocol today the model is within ±10% of two measurements of Debian's 6.1
 * user-mode-linux traced with strace (UML kernel process only, runs with n and with 0):
 * the research table (uml-anchors.md §5, an AMD EPYC host) and the live oracle run on this
 * project's CI host (Intel Xeon with AMX, 2026-12-07; scripts/uml-live-oracle.sh, round trips
 * counted as PTRACE_SYSEMU/CONT resumes). The research table's getpid row (5.7 ptrace, 1.2
 * wait4) is the one it misses: the live trace shows exactly GETREGS, GETREGSET, SETREGS,
 * SETREGSET, SYSEMU and one wait4 per getpid (5.01-5.04 and 1.00 over 2000 calls), so the
 * research row's excess is timer noise of its separate baseline boot, not protocol.
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

  /** The live oracle on this host (scripts/uml-live-oracle.sh): ptrace, wait4, resumes per op. */
  static Stream<Arguments> liveTable() {
    return Stream.of(
        Arguments.of("getpid", 200, 5.04, 1.00, 1.00),
        Arguments.of("touch", 200, 11.05, 3.03, 3.03),
        Arguments.of("read-then-write", 200, 24.32, 7.16, 7.15),
        Arguments.of("mmap-munmap", 200, 10.06, 2.01, 2.01),
        Arguments.of("mmap-touch-munmap", 200, 25.14, 7.05, 7.06),
        Arguments.of("mprotect", 200, 14.14, 4.04, 4.04),
        Arguments.of("fork-exit-wait", 50, 139.75, 43.34, 42.32),
        Arguments.of("fork-exec-exit-wait", 10, 875.54, 248.86, 244.26),
        Arguments.of("pipe-pingpong", 200, 26.26, 4.04, 4.04));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("liveTable")
  void everyRowIsWithinTenPercentOfTheLiveOracle(String workload, int n, double ptrace, double wait4, double rt) {
    PerOperation p = model(workload, n);
    within(workload + " ptrace calls", p.ptraceCalls(), ptrace);
    within(workload + " wait4 calls", p.wait4Calls(), wait4);
    within(workload + " round trips", p.roundTrips(), rt);
  }

  @org.junit.jupiter.api.Test
  void theRowsDependOnTheProtocolThe2005OneCostsOtherwise() {
    SimulationResult old = UmlSimulation.run(new UmlSimulation.Settings(
        new UmlMode.Skas0(Skas0Options.PATCHED), Workload.GETPID, 50, HostArch.X86_64, 1));
    // the seed's protocol has no xstate: SETREGS + SYSEMU + GETREGS per system call
    within("2005 getpid ptrace calls", old.perOperation().ptraceCalls(), 3);
  }

  static PerOperation model(String workload, int n) {
    return UmlSimulation.run(new UmlSimulation.Settings(TODAY, Workload.parse(workload), n, HostArch.X86_64, 1)).perOperation();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("researchTable")
  void everyRowIsWithinTenPercentOfTheResearchTable(String workload, int n, double ptrace, double wait4, double rt) {
    PerOperation p = model(workload, n);
    System.out.printf("%-20s model %7.2f %6.2f %6.2f  table %7.2f %6.2f %6.2f%n", workload,
        p.ptraceCalls(), p.wait4Calls(), p.roundTrips(), ptrace, wait4, rt);
    if (!workload.equals("getpid")) { // see the class comment
      within(workload + " ptrace calls", p.ptraceCalls(), ptrace);
      within(workload + " wait4 calls", p.wait4Calls(), wait4);
    }
    within(workload + " round trips", p.roundTrips(), rt);
  }

  static void within(String what, double model, double measured) {
    assertTrue(Math.abs(model - measured) <= 0.10 * measured,
        String.format("%s: model %.2f, measured %.2f (more than 10%% apart)", what, model, measured));
  }
}
