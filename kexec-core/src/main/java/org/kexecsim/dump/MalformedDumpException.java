package org.kexecsim.dump;

import org.kexecsim.input.RejectedInput;

/**
 * A dump file (or raw image) that cannot be what it claims: a size or offset points outside the
 * file, segments overlap, a note overruns its segment. Carries the file, the byte offset of the
 * offending field and the problem, and prints as one line:
 * {@code vmcore-a: offset 0x1c0: PT_NOTE n_descsz 0x7fffffff exceeds the segment}.
 */
public final class MalformedDumpException extends RuntimeException implements RejectedInput {
  private final String file;
  private final long offset;
  private final String problem;

  public MalformedDumpException(String file, long offset, String problem) {
    this(String.format("%s: offset 0x%x: %s", file, offset, problem), file, offset, problem);
  }

  private MalformedDumpException(String message, String file, long offset, String problem) {
    super(message, null, false, false);
    this.file = file;
    this.offset = offset;
    this.problem = problem;
  }

  /** A problem with the file as a whole (its type, say), where no offset means anything. */
  public static MalformedDumpException ofFile(String file, String problem) {
    return new MalformedDumpException(String.format("%s: %s", file, problem), file, 0, problem);
  }

  /** The file's name as the user gave it. */
  public String file() {
    return file;
  }

  /** Byte offset in the file of the field that is wrong. */
  public long offset() {
    return offset;
  }

  public String problem() {
    return problem;
  }
}
