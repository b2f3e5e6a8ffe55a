package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Seed 003: the records page fix "also needs serialization between threads". */
class FlushRaceTest {
  /** Four preemptions: the unbounded space is ~30,000 schedules, too slow for every build. */
  static final Bounds FOUR = new Bounds(4, 64, 200_000);
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void unserializedFlushesThroughOneRecordsPageLoseAnMunmap() {
    Exploration e = Explorations.someScheduleBreaks(new FlushRace(), FOUR);
    String why = ((Verdict.Broke) e.firstBad().orElseThrow().verdict()).why();
    assertTrue(why.contains("never ran"), why);
  }

  @Test
  void withTheFlushLockEveryOpReachesTheHost() {
    Explorations.noScheduleBreaks(new FlushRace(), FOUR);
  }

  @Test
  void theFlushLockAloneDoesNotStopTheBreakoutWhileTheRecordsAreWritable() {
    // the forger takes no lock: only the read-only page keeps it out
    Exploration e = HazardExplorer.explore(new StubBreakout(true), false, ALL);
    System.out.printf("breakout, data page with the flush lock: %d of %d schedules broke%n", e.broke(), e.explored());
    assertTrue(e.broke() > 0);
  }
}
