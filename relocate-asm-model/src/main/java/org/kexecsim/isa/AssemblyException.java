package org.kexecsim.isa;

import org.kexecsim.input.RejectedInput;

/** Bad assembler source: what is wrong and where (1-based line and column). */
public final class AssemblyException extends RuntimeException implements RejectedInput {
  private final int line;
  private final int column;
  private final String reason;

  public AssemblyException(int line, int column, String reason) {
    super(line + ":" + column + ": " + reason);
    this.line = line;
    this.column = column;
    this.reason = reason;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  public String reason() {
    return reason;
  }
}
