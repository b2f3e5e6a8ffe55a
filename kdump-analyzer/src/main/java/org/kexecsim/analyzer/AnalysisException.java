package org.kexecsim.analyzer;

import org.kexecsim.input.RejectedInput;

/**
 * An analysis that cannot run on what it was given: no way to find the root table, a CR3 whose
 * load faults, tables too large to enumerate. {@link Kind} tells the CLI which exit code it is:
 * a command turns USAGE into a usage error (2); otherwise it is rejected input (3).
 */
public final class AnalysisException extends RuntimeException implements RejectedInput {
  /** Whether the user must say more (usage) or the images are unusable (bad input). */
  public enum Kind {
    USAGE,
    BAD_INPUT
  }

  private final Kind kind;

  public AnalysisException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
