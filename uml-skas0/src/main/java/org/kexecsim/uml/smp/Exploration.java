package org.kexecsim.uml.smp;

import java.util.Optional;

/**
 * What exploring one hazard found.
 *
 * @param hazard the hazard's name
 * @param fixed whether its fix was in
 * @param explored schedules run
 * @param distinct different schedules among them (all of them when exhaustive)
 * @param broke schedules whose verdict was {@link Verdict.Broke}
 * @param cut schedules the step bound stopped
 * @param firstBad the first broken schedule, in exploration order
 * @param fingerprint a digest of every schedule's choices and verdict, in order
 */
public record Exploration(String hazard, boolean fixed, Bounds bounds, Sampling sampling, int explored,
    int distinct, int broke, int cut, Optional<Schedule> firstBad, long fingerprint) {}
