package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The scheduler: bounded, deterministic, and every schedule replayable from its choices. */
class HazardExplorerTest {
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void theSameSeedAndBoundsGiveTheSameSchedulesAndVerdicts() {
    for (Hazard h : new Hazard[] {new FaultInfoRace(), new StubBreakout(), new FileHandleRace()}) {
      Sampling s = new Sampling.Seeded(42, 60);
      List<Schedule> first = new ArrayList<>();
      List<Schedule> second = new ArrayList<>();
      Exploration a = HazardExplorer.explore(h, false, Bounds.DEFAULT, s, first::add);
      Exploration b = HazardExplorer.explore(h, false, Bounds.DEFAULT, s, second::add);
      assertEquals(first, second, h.name());
      assertEquals(a, b, h.name());
    }
  }

  @Test
  void anotherSeedDrawsOtherSchedules() {
    Exploration a = HazardExplorer.explore(new StubBreakout(), false, Bounds.DEFAULT, new Sampling.Seeded(1, 40));
    Exploration b = HazardExplorer.explore(new StubBreakout(), false, Bounds.DEFAULT, new Sampling.Seeded(2, 40));
    assertNotEquals(a.fingerprint(), b.fingerprint());
  }

  @Test
  void anExhaustiveRunPastItsScheduleBudgetIsTheTypedRefusalTheCliReports() {
    HazardExplorer.TooManySchedules e = org.junit.jupiter.api.Assertions.assertThrows(HazardExplorer.TooManySchedules.class,
        () -> HazardExplorer.explore(new FaultInfoRace(), false, new Bounds(3, 64, 2), new Sampling.Exhaustive()));
    assertTrue(e.getMessage().startsWith("faultinfo-race has more than 2 schedules within "), e.getMessage());
    assertTrue(e.getMessage().endsWith(": tighten the bounds or sample"), e.getMessage());
  }

  @Test
  void exhaustiveExplorationIsDeterministicToo() {
    assertEquals(HazardExplorer.explore(new FaultInfoRace(), false, Bounds.DEFAULT),
        HazardExplorer.explore(new FaultInfoRace(), false, Bounds.DEFAULT));
  }

  @Test
  void replayingTheChoicesOfABadScheduleGivesTheSameStepsAndVerdict() {
    Schedule bad = HazardExplorer.explore(new FaultInfoRace(), false, ALL).firstBad().orElseThrow();
    assertEquals(bad, HazardExplorer.replay(new FaultInfoRace(), false, ALL, bad.choices()));
  }

  @Test
  void withoutPreemptionsEachCpuRunsToTheEndInTurn() {
    // no locks in the unfixed races: the only choice is which CPU starts
    for (Hazard h : new Hazard[] {new FaultInfoRace(), new StubBreakout(), new FileHandleRace()}) {
      Exploration e = HazardExplorer.explore(h, false, ALL.withMaxPreemptions(0));
      assertEquals(2, e.explored(), h.name());
    }
  }

  @Test
  void morePreemptionsNeverExploreFewerSchedulesAndContainTheSmallerSpace() {
    Set<List<Integer>> one = new HashSet<>();
    Set<List<Integer>> two = new HashSet<>();
    HazardExplorer.explore(new StubBreakout(), false, ALL.withMaxPreemptions(1), new Sampling.Exhaustive(),
        s -> one.add(s.choices()));
    HazardExplorer.explore(new StubBreakout(), false, ALL.withMaxPreemptions(2), new Sampling.Exhaustive(),
        s -> two.add(s.choices()));
    assertTrue(two.size() > one.size());
    assertTrue(two.containsAll(one));
  }

  @Test
  void theBreakoutNeedsOnlyOnePreemption() {
    // cpu0 loads the batch, the forger runs, cpu0 goes on
    assertTrue(HazardExplorer.explore(new StubBreakout(), false, ALL.withMaxPreemptions(1)).broke() > 0);
  }

  @Test
  void aStepBoundCutsSchedulesInsteadOfHidingThem() {
    // the pinned reader needs 3 steps: get_fh, read, put_fh
    List<Schedule> cut = new ArrayList<>();
    Exploration e = HazardExplorer.explore(new FileHandleRace(), true, new Bounds(100, 2, 1000), new Sampling.Exhaustive(),
        s -> {
          if (s.verdict() instanceof Verdict.Cut) {
            cut.add(s);
          }
        });
    assertEquals(e.explored(), e.cut());
    for (Schedule s : cut) {
      assertTrue(s.steps().stream().filter(st -> st.cpu() == 0).count() == 2, s.print());
      assertTrue(((Verdict.Cut) s.verdict()).why().contains("cpu0 at the step bound"), s.print());
    }
  }
}
