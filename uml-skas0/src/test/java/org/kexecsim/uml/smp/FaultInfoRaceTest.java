package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Seed 003: "we can't have two threads handling a SIGSEGV at the same time". */
class FaultInfoRaceTest {
  /** No preemption bound that matters: two CPUs of 6 and 8 steps. */
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void withoutTheLockAKernelCanReadTheOtherThreadsFaultinfo() {
    Exploration e = Explorations.someScheduleBreaks(new FaultInfoRace(), ALL);
    String why = ((Verdict.Broke) e.firstBad().orElseThrow().verdict()).why();
    assertTrue(why.contains("another thread's fault"), why);
  }

  @Test
  void withTheLockEveryKernelReadsItsOwnThreadsFaultinfo() {
    Explorations.noScheduleBreaks(new FaultInfoRace(), ALL);
  }

  @Test
  void bothThreadsPutTheirSignalFrameAtTheSameAddressOnTheOneDataPage() {
    // why the lock must cover the frame too: the second frame overwrites the first
    Schedule s = HazardExplorer.explore(new FaultInfoRace(), false, ALL).firstBad().orElseThrow();
    long frames = s.steps().stream().filter(st -> st.action().startsWith("PTRACE_CONT"))
        .map(st -> st.action().replaceAll(".*frame at (0x[0-9a-f]+).*", "$1")).distinct().count();
    assertTrue(frames == 1, s.print());
  }

  @Test
  void threeCpusSampledBreakWithoutTheLockAndNeverWithIt() {
    Sampling sample = new Sampling.Seeded(7, 300);
    Exploration off = HazardExplorer.explore(new FaultInfoRace(3), false, Bounds.DEFAULT, sample);
    Exploration on = HazardExplorer.explore(new FaultInfoRace(3), true, Bounds.DEFAULT, sample);
    System.out.printf("faultinfo-race on 3 CPUs, 300 sampled: %d broke without the lock, %d with it%n", off.broke(), on.broke());
    assertTrue(off.broke() > 0);
    assertTrue(on.broke() == 0, () -> on.firstBad().orElseThrow().print());
  }
}
