package org.kexecsim.kimage;

/**
 * A kexec load refused the way the kernel refuses it: the errno the syscall would return and a
 * sentence naming the segment or range and the rule (with its source in the kernel).
 */
public final class KexecException extends RuntimeException {
  private final Errno errno;

  public KexecException(Errno errno, String sentence) {
    super(sentence);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }

  /** "EADDRNOTAVAIL: segment 1 ..." as a CLI prints it. */
  public String describe() {
    return errno.name() + ": " + getMessage();
  }
}
