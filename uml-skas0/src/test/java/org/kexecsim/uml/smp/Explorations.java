package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions shared by the hazard tests: what "breaks without the fix, never with it" means. */
final class Explorations {
  private Explorations() {}

  /** The whole space within {@code bounds}; at least one schedule breaks. Returns the exploration. */
  static Exploration someScheduleBreaks(Hazard h, Bounds bounds) {
    Exploration e = HazardExplorer.explore(h, false, bounds);
    System.out.printf("%s without the fix: %d of %d schedules broke (bounds %s)%n", h.name(), e.broke(), e.explored(), bounds);
    assertTrue(e.broke() > 0, h.name() + ": no schedule of " + e.explored() + " broke without the fix");
    assertEquals(e.explored(), e.distinct(), "exhaustive exploration repeats no schedule");
    System.out.println(e.firstBad().orElseThrow().print());
    return e;
  }

  /** The whole space within {@code bounds}; none breaks, or the failure shows the first bad one. */
  static Exploration noScheduleBreaks(Hazard h, Bounds bounds) {
    Exploration e = HazardExplorer.explore(h, true, bounds);
    System.out.printf("%s with the fix (%s): %d of %d schedules broke (bounds %s)%n", h.name(), h.fix(), e.broke(),
        e.explored(), bounds);
    assertEquals(0, e.broke(), () -> h.name() + " broke with the fix:\n" + e.firstBad().orElseThrow().print());
    assertEquals(0, e.cut(), "the step bound must not hide the end of any schedule");
    assertTrue(e.explored() > 1, "more than one schedule was explored");
    return e;
  }
}
