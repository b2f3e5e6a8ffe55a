package org.kexecsim.analyzer.symbols;

import org.kexecsim.input.RejectedInput;

/** A symbol file that cannot be read as one, or does not belong to the dump: one line, exit 3. */
public final class SymbolFileException extends RuntimeException implements RejectedInput {
  public SymbolFileException(String message) {
    super(message, null, false, false);
  }
}
