package org.kexecsim.uml.smp;

/** How a schedule ended. */
public sealed interface Verdict {
  /** Every CPU finished and the hazard's invariant held. */
  record Held() implements Verdict {}

  /** The invariant broke: {@code why} says where and with which values. */
  record Broke(String why) implements Verdict {}

  /** The step bound stopped a CPU before it finished; nothing broke up to there. */
  record Cut(String why) implements Verdict {}
}
