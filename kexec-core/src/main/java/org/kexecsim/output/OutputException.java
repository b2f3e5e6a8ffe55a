package org.kexecsim.output;

import java.nio.file.FileSystemException;

/**
 * An output that was refused or could not be completed; the message names the target and the
 * reason and says that the target was left as it was. An I/O failure (exit 4 on the command line).
 */
public final class OutputException extends FileSystemException {
  /** Why, in the user's terms: the CLI turns {@link Kind#EXISTS} into a hint about its --force. */
  public enum Kind { EXISTS, NOT_OURS, FAILED }

  private final Kind kind;

  OutputException(Kind kind, String target, String reason, Throwable cause) {
    super(target, null, reason);
    this.kind = kind;
    if (cause != null) {
      initCause(cause);
    }
  }

  public Kind kind() {
    return kind;
  }

  /** "TARGET: REASON", one line. */
  @Override
  public String getMessage() {
    return getFile() + ": " + getReason();
  }
}
