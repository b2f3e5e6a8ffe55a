package org.kexecsim.uml.smp;

/** An SMP hazard of seed 003, with and without its fix. */
public sealed interface Hazard permits FaultInfoRace, StubBreakout, FlushRace, FileHandleRace {
  /** Short name, as the CLI spells it. */
  String name();

  /** What the fix is, for reports. */
  String fix();

  /** A fresh machine at the start of the race, with or without the fix. */
  Interleaving start(boolean fixed);
}
