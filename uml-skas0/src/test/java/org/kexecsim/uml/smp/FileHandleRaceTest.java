package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Seed 003: a reclaim between check and use on another CPU; get_fh()/put_fh() prevent it. */
class FileHandleRaceTest {
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void withoutPinningAReaderUsesAClosedOrReusedDescriptor() {
    Exploration e = Explorations.someScheduleBreaks(new FileHandleRace(), ALL);
    assertTrue(e.firstBad().orElseThrow().print().contains("reclaim: close(0) of /host/a"));
  }

  @Test
  void withGetFhPutFhNoScheduleDoes() {
    Explorations.noScheduleBreaks(new FileHandleRace(), ALL);
  }

  @Test
  void bothWaysOfBreakingShowUp() {
    // EBADF when the use falls between close and reopen, another file's data after the reopen
    List<String> whys = new ArrayList<>();
    HazardExplorer.explore(new FileHandleRace(), false, ALL, new Sampling.Exhaustive(), s -> {
      if (s.verdict() instanceof Verdict.Broke b) {
        whys.add(b.why());
      }
    });
    assertTrue(whys.stream().anyMatch(w -> w.contains("EBADF")), whys.toString());
    assertTrue(whys.stream().anyMatch(w -> w.contains("reused")), whys.toString());
  }
}
