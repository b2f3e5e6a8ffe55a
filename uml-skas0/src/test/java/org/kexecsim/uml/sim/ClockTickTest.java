package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Ticks;
import org.kexecsim.uml.mode.Skas0Options;
import org.kexecsim.uml.mode.UmlMode;

/**
 * The clock tick of Debian 6.1's UML in ptrace mode: um_timer relays the UML kernel's SIGALRM to
 * the current process's host process, which stops with it (the model: at its next resume; a tick
 * during a wait4, aTickDuringAWait4MakesTheKernelWaitAgain). What a tick costs
 * there is what the live trace shows: in userspace() GETREGS, GETREGSET, SETREGS, SETREGSET,
 * SYSEMU and the wait4 that saw the stop; in wait_stub_done a CONT and the wait4; a tick that
 * falls in a wait4 makes it once more (ERESTARTSYS). Exact here, with clocks chosen so ticks land
 * where the test wants them.
 */
class ClockTickTest {
  static SimulationResult run(String workload, int n, Ticks ticks) {
    return UmlSimulation.run(new UmlSimulation.Settings(CostFidelityTest.TODAY, Workload.parse(workload), n,
        HostArch.X86_64, 1, ticks));
  }

  @ParameterizedTest
  @ValueSource(strings = {"getpid", "touch", "read-then-write", "mmap-munmap", "mmap-touch-munmap", "mprotect",
      "fork-exit-wait", "fork-exec-exit-wait", "pipe-pingpong"})
  void withoutTheirShareTheTicksLeaveTheMechanismsCountsExactlyAsTheyWere(String workload) {
    int n = workload.startsWith("fork") ? 5 : 50;
    PerOperation none = run(workload, n, Ticks.NONE).perOperation();
    // a tick every 10 calls or so: far more than a real host, to exercise every wait
    PerOperation fast = run(workload, n, Ticks.Clock.hz(1000, 100_000, 100_000, 50_000, 0)).perOperation();
    assertTrue(fast.ticks().ticks() > 0.05, workload + " took no tick: " + fast);
    PerOperation own = fast.withoutTicks();
    assertEquals(none.ptraceCalls(), own.ptraceCalls(), 1e-9, workload + " ptrace");
    assertEquals(none.wait4Calls(), own.wait4Calls(), 1e-9, workload + " wait4");
    assertEquals(none.roundTrips(), own.roundTrips(), 1e-9, workload + " round trips");
    assertEquals(PerOperation.TickShare.NONE, none.ticks());
  }

  @Test
  void aTickInTheSyscallLoopCostsFivePtraceCallsAWait4AndARoundTrip() {
    // wait4 takes no time: every tick falls in a ptrace call, the child is stopped and takes the
    // SIGALRM at its next resume; getpid resumes only with SYSEMU (userspace())
    PerOperation p = run("getpid", 500, Ticks.Clock.hz(1000, 50_000, 0, 0, 0)).perOperation();
    PerOperation.TickShare t = p.ticks();
    assertTrue(t.ticks() > 0.1, p.toString());
    assertEquals(t.ticks(), t.wait4Calls(), 1e-9, "one stop per tick");
    assertEquals(5 * t.ticks(), t.ptraceCalls(), 1e-9);
    assertEquals(t.ticks(), t.roundTrips(), 1e-9);
  }

  @Test
  void aTickInAStubWaitCostsACont() {
    // page faults resume the child three times: SYSEMU, CONT(SIGSEGV) into the handler, CONT of
    // the queue stub; a stop in either stub wait costs CONT + wait4, one in userspace() 5 + 1
    SimulationResult r = run("touch", 400, Ticks.Clock.hz(1000, 50_000, 0, 0, 0));
    OperationCosts share = r.tickShare();
    long stops = share.get(Cost.WAIT4);
    long ptrace = share.get(Cost.PTRACE);
    assertEquals(0, (ptrace - stops) % 4, "P = 5a + b with a + b stops");
    long inUserspace = (ptrace - stops) / 4;
    long inStub = stops - inUserspace;
    assertTrue(inUserspace > 0 && inStub > 0, "ticks landed in both: " + inUserspace + " / " + inStub);
    assertEquals(stops, share.get(Cost.ROUND_TRIP));
  }

  @Test
  void aTickDuringAWait4MakesTheKernelWaitAgain() {
    // ptrace calls take no time and wait4s are all blocked time: every tick interrupts a wait4,
    // which SA_RESTART makes again; live the running child stops at once and the restarted wait4
    // returns that stop first, the model stops it at its next resume: the same counts, in another order
    PerOperation p = run("getpid", 500, Ticks.Clock.hz(1000, 0, 100_000, 100_000, 0)).perOperation();
    PerOperation.TickShare t = p.ticks();
    assertTrue(t.ticks() > 0.05, p.toString());
    assertEquals(2 * t.ticks(), t.wait4Calls(), 1e-9, "the interrupted wait4 and the stop's");
    assertEquals(5 * t.ticks(), t.ptraceCalls(), 1e-9);
    assertEquals(t.ticks(), t.roundTrips(), 1e-9, "an interrupted wait4 is no round trip");
  }

  @Test
  void aTickAfterTheWait4ReturnedInterruptsNothing() {
    // the wait4's time is all the kernel's own work after it: no interrupted call
    PerOperation p = run("getpid", 500, Ticks.Clock.hz(1000, 0, 100_000, 0, 0)).perOperation();
    assertTrue(p.ticks().ticks() > 0.05, p.toString());
    assertEquals(p.ticks().ticks(), p.ticks().wait4Calls(), 1e-9);
  }

  @Test
  void theMeasuredClockTicksAtHzOverTheModelledTimeAndIsDeterministic() {
    int n = 2000;
    PerOperation a = run("getpid", n, Ticks.MEASURED).perOperation();
    PerOperation b = run("getpid", n, Ticks.MEASURED).perOperation();
    assertEquals(a, b, "no wall clock: the same input, the same ticks");
    Ticks.Clock c = Ticks.MEASURED;
    PerOperation own = a.withoutTicks();
    double nanosPerGetpid = own.ptraceCalls() * c.ptraceNanos() + own.wait4Calls() * c.wait4Nanos();
    double expected = nanosPerGetpid / c.periodNanos(); // the ticks' own calls add a little
    assertTrue(a.ticks().ticks() >= expected - 1.0 / n && a.ticks().ticks() <= expected * 1.01 + 1.0 / n,
        a.ticks().ticks() + " ticks per getpid, expected about " + expected);
  }

  @Test
  void theClockIsModelledForTodaysPtraceModeOnly() {
    UmlInputException e = assertThrows(UmlInputException.class, () -> UmlSimulation.run(new UmlSimulation.Settings(
        new UmlMode.Skas0(Skas0Options.PATCHED), Workload.GETPID, 10, HostArch.X86_64, 1, Ticks.MEASURED)));
    assertTrue(e.getMessage().contains("--protocol today"), e.getMessage());
    assertEquals("measured", Ticks.parse("MEASURED").cliName());
    assertEquals("none", Ticks.parse("none").cliName());
    assertThrows(UmlInputException.class, () -> Ticks.parse("sometimes"));
  }
}
