package org.kexecsim.routine;

import org.kexecsim.input.RejectedInput;

/** A user's routine that cannot be used: one line naming the file and what is wrong. */
public final class RoutineRejected extends RuntimeException implements RejectedInput {
  public RoutineRejected(String message) {
    super(message);
  }

  public RoutineRejected(String message, Throwable cause) {
    super(message, cause);
  }
}
