package org.kexecsim.cpu.machine;

import org.kexecsim.input.RejectedInput;

/** A machine description that cannot be loaded: names the file, the field and the problem. */
public final class MachineDescriptionException extends RuntimeException implements RejectedInput {
  public MachineDescriptionException(String message) {
    super(message);
  }

  public MachineDescriptionException(String message, Throwable cause) {
    super(message, cause);
  }
}
