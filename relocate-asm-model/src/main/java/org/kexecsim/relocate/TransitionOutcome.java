package org.kexecsim.relocate;

/** How a transition ended. */
public enum TransitionOutcome {
  /** The new kernel's entry ran in the state the arch's boot protocol expects. */
  ENTERED,
  /** The entry ran, but not in the expected state (wrong mode, paging, or copies wrong). */
  ENTERED_WRONG_STATE,
  /** An exception was delivered to the crashed kernel's handlers: it would panic or hang there. */
  FAULTED,
  /** An exception while delivering #DF: the CPU shut down (a PC resets). */
  TRIPLE_FAULT,
  /** The entry was reached, but purgatory's SHA-256 of the loaded segments did not match: it loops. */
  PURGATORY_REFUSED,
  /** The model stopped (an access outside RAM, real mode) or halted before the entry. */
  STOPPED,
  /** The step limit ran out. */
  HUNG;

  public boolean success() {
    return this == ENTERED;
  }

  public String text() {
    return switch (this) {
      case ENTERED -> "entered the new kernel";
      case ENTERED_WRONG_STATE -> "entered the new kernel in the wrong state";
      case FAULTED -> "faulted into the crashed kernel's handler";
      case TRIPLE_FAULT -> "triple fault";
      case PURGATORY_REFUSED -> "purgatory refused";
      case STOPPED -> "stopped";
      case HUNG -> "hung (step limit)";
    };
  }
}
