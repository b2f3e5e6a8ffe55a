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
  /** The image the message already names in front, or null. */
  private final String image;

  public AnalysisException(Kind kind, String message) {
    this(kind, message, null);
  }

  private AnalysisException(Kind kind, String message, String image) {
    super(message, null, false, false);
    this.kind = kind;
    this.image = image;
  }

  /** This failure with {@code image} named in front of its message, once however often it is asked. */
  public AnalysisException naming(String image) {
    return this.image != null ? this : new AnalysisException(kind, image + ": " + getMessage(), image);
  }

  public Kind kind() {
    return kind;
  }
}
