package org.kexecsim.memory;

import org.kexecsim.input.RejectedInput;

/**
 * An access to a physical address that does not exist in the machine's RAM map, or wraps; or,
 * as {@link PageExcludedException}, RAM whose content the image does not hold.
 */
public sealed class PhysicalAccessException extends RuntimeException implements RejectedInput
    permits PageExcludedException {
  private final long physical;

  public PhysicalAccessException(long physical, String message) {
    super(message);
    this.physical = physical;
  }

  /** The first physical address of the refused access. */
  public long physical() {
    return physical;
  }

  static PhysicalAccessException outsideRam(long physical, long length) {
    return new PhysicalAccessException(
        physical,
        String.format(
            "physical address 0x%x (%d byte%s) is outside RAM", physical, length, length == 1 ? "" : "s"));
  }

  static PhysicalAccessException wraps(long physical, long length) {
    return new PhysicalAccessException(
        physical,
        String.format("physical range 0x%x + 0x%x wraps past 2^64", physical, length));
  }
}
