package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Seed 003: the records page fix "also needs serialization between threads". */
class FlushRaceTest {
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void unserializedFlushesThroughOneRecordsPageLoseAnMunmap() {
    Exploration e = Explorations.someScheduleBreaks(new FlushRace(), ALL);
    String why = ((Verdict.Broke) e.firstBad().orElseThrow().verdict()).why();
    assertTrue(why.contains("never ran"), why);
  }

  @Test
  void withTheFlushLockEveryOpReachesTheHost() {
    Explorations.noScheduleBreaks(new FlushRace(), ALL);
  }

  @Test
  void theFlushLockAloneDoesNotStopTheBreakoutWhileTheRecordsAreWritable() {
    // the forger takes no lock: only the read-only page keeps it out
    Exploration e = HazardExplorer.explore(new StubBreakout(true), false, ALL);
    System.out.printf("breakout, data page with the flush lock: %d of %d schedules broke%n", e.broke(), e.explored());
    assertTrue(e.broke() > 0);
  }
}
