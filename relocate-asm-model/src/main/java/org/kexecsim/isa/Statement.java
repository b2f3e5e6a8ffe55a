package org.kexecsim.isa;

import java.util.List;

/** One parsed source statement, before symbol values are known; line and column locate errors. */
sealed interface Statement {
  int line();

  int column();

  /** Whether it belongs to .data (else .text). */
  boolean data();

  record LabelStmt(String name, int line, int column, boolean data) implements Statement {}

  record InsnStmt(String mnemonic, boolean rep, List<SourceOperand> ops, int bits, int line, int column, boolean data, String text, int frag)
      implements Statement {}

  record DataStmt(int width, List<Expr> values, int line, int column, boolean data, String text) implements Statement {}

  record FillStmt(Expr count, Expr size, Expr value, int line, int column, boolean data, String text) implements Statement {}

  record AlignStmt(Expr alignment, boolean power, Expr fill, int bits, int line, int column, boolean data, String text)
      implements Statement {}

  record SetStmt(String name, Expr value, int line, int column, boolean data) implements Statement {}
}
