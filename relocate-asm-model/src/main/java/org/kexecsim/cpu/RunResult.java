package org.kexecsim.cpu;

import java.util.List;

/** How a run ended: the final state, the steps executed, and every exception raised on the way. */
public record RunResult(RunState state, long steps, String stopReason, List<ExceptionEvent> exceptions) {
  public RunResult {
    exceptions = List.copyOf(exceptions);
  }
}
