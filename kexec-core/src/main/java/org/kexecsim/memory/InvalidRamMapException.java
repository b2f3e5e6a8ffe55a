package org.kexecsim.memory;

/** A RAM map that cannot describe a machine: overlapping, wrapping or empty ranges. */
public final class InvalidRamMapException extends IllegalArgumentException {
  public InvalidRamMapException(String message) {
    super(message);
  }
}
