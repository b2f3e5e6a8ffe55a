package org.kexecsim.uml.smp;

import java.util.List;

/**
 * One complete run: the CPU chosen at each step (enough to replay it) and what each step did.
 */
public record Schedule(List<Integer> choices, List<Step> steps, Verdict verdict) {
  public Schedule {
    choices = List.copyOf(choices);
    steps = List.copyOf(steps);
  }

  /** The schedule step by step, then the verdict. */
  public String print() {
    StringBuilder sb = new StringBuilder();
    for (Step s : steps) {
      sb.append(s).append('\n');
    }
    sb.append(switch (verdict) {
      case Verdict.Held h -> "verdict: held";
      case Verdict.Broke b -> "verdict: BROKE: " + b.why();
      case Verdict.Cut c -> "verdict: cut: " + c.why();
    });
    return sb.toString();
  }
}
