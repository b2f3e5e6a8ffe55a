package org.kexecsim.uml.smp;

/**
 * What bounds the explored space.
 *
 * @param maxPreemptions times a schedule may switch away from a CPU that could go on
 * @param maxStepsPerCpu steps any one CPU may take; a CPU at the bound stops (the schedule is cut)
 * @param maxSchedules a safety limit on exhaustive exploration; exceeding it is an error
 */
public record Bounds(int maxPreemptions, int maxStepsPerCpu, int maxSchedules) {
  public static final Bounds DEFAULT = new Bounds(3, 64, 200_000);

  public Bounds {
    if (maxPreemptions < 0 || maxStepsPerCpu < 1 || maxSchedules < 1) {
      throw new IllegalArgumentException(String.format(
          "bounds must be preemptions >= 0, steps per CPU >= 1, schedules >= 1; got %d, %d, %d",
          maxPreemptions, maxStepsPerCpu, maxSchedules));
    }
  }

  public Bounds withMaxPreemptions(int n) {
    return new Bounds(n, maxStepsPerCpu, maxSchedules);
  }
}
