package org.kexecsim.uml;

import org.kexecsim.input.RejectedInput;

/**
 * Bad input to the UML model: a workload parameter out of range, or a guest access the model
 * cannot map. The message is one line saying what and where; the CLI maps it to an exit code.
 */
public final class UmlInputException extends RuntimeException implements RejectedInput {
  public UmlInputException(String message) {
    super(message);
  }
}
