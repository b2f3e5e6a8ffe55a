package org.kexecsim.input;

/**
 * Marks an exception caused by the user's input rather than by a bug: a corrupt dump, an
 * impossible RAM map, a segment the kernel would refuse, bad assembly source. Its message is one
 * line naming what is wrong and where; the command line prints it and exits with status 3.
 */
public interface RejectedInput {
  String getMessage();
}
