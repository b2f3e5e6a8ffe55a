package org.kexecsim.cli;

/** The exit statuses every subcommand uses (DESIGN.md, command-line contract). */
public final class ExitCode {
  private ExitCode() {}

  public static final int OK = 0;
  /** A negative verdict: not preserved, images differ, checksum mismatch, a translation faulted. */
  public static final int NEGATIVE = 1;
  public static final int USAGE = 2;
  /** Bad input: corrupt dump, impossible RAM map, refused segments; one line says what and where. */
  public static final int BAD_INPUT = 3;
  public static final int IO = 4;
  /** Standard output was a pipe whose reader went away (`| head`): quiet, 128 + SIGPIPE as a C tool would end. */
  public static final int READER_GONE = 141;
  /** EX_SOFTWARE: a bug in kexec-sim. */
  public static final int INTERNAL = 70;
}
