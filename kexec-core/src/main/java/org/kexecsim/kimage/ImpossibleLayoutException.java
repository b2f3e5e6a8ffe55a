package org.kexecsim.kimage;

import org.kexecsim.input.RejectedInput;

/**
 * A machine or placement that cannot be built as asked, before any kernel rule applies: no room
 * for the kernel image in the RAM map, a control page that is not free RAM, an unknown arch or
 * design name. The message says what and where.
 */
public final class ImpossibleLayoutException extends IllegalArgumentException implements RejectedInput {
  public ImpossibleLayoutException(String message) {
    super(message);
  }
}
