package org.kexecsim.memory;

import org.kexecsim.input.RejectedInput;

/** A RAM map that cannot describe a machine: overlapping, wrapping or empty ranges. */
public final class InvalidRamMapException extends IllegalArgumentException implements RejectedInput {
  public InvalidRamMapException(String message) {
    super(message);
  }
}
