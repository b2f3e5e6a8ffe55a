package org.kexecsim.kimage;

import org.kexecsim.input.RejectedInput;

/**
 * A kexec load refused the way the kernel refuses it: the errno the syscall would return and a
 * sentence naming the segment or range and the rule (with its source in the kernel). The
 * message is "EINVAL: sentence".
 */
public final class KexecException extends RuntimeException implements RejectedInput {
  private final Errno errno;
  private final String sentence;

  public KexecException(Errno errno, String sentence) {
    super(errno.name() + ": " + sentence);
    this.errno = errno;
    this.sentence = sentence;
  }

  public Errno errno() {
    return errno;
  }

  /** The sentence without the error name. */
  public String sentence() {
    return sentence;
  }
}
