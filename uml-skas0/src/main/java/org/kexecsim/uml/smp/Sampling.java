package org.kexecsim.uml.smp;

/** Which schedules to run within the bounds. */
public sealed interface Sampling {
  /** Every schedule within the bounds, depth first, continuing the running CPU first. */
  record Exhaustive() implements Sampling {}

  /** {@code schedules} schedules, each choice drawn from a generator seeded with {@code seed}. */
  record Seeded(long seed, int schedules) implements Sampling {
    public Seeded {
      if (schedules < 1) {
        throw new IllegalArgumentException("at least one schedule must be sampled, got " + schedules);
      }
    }
  }
}
