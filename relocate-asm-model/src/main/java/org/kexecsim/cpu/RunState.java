package org.kexecsim.cpu;

/** Whether the CPU executes, and if not, why. */
public enum RunState {
  RUNNING,
  /** HLT executed; with no interrupt modelled, it stays halted. */
  HALTED,
  /** An exception arose while delivering #DF: the processor shut down (SDM §6.15, interrupt 8). */
  TRIPLE_FAULT,
  /** The model met something it does not simulate; see {@link Cpu#stopReason()}. */
  STOPPED
}
