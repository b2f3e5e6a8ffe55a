package org.kexecsim.isa;

import java.util.Map;

/** An assembler expression: constants, symbols and the operators GNU as evaluates for absolute values. */
sealed interface Expr {
  record Num(long value) implements Expr {}

  /** A symbol reference; {@code column} locates it for "undefined symbol" errors. */
  record Sym(String name, int column) implements Expr {}

  record Unary(char op, Expr operand) implements Expr {}

  record Binary(String op, Expr left, Expr right) implements Expr {}

  /** Whether the value depends on a label's address (which GNU as cannot fix in its first pass). */
  default boolean usesLabel(Map<String, Expr> constants) {
    return switch (this) {
      case Num n -> false;
      case Sym s -> !constants.containsKey(s.name()) || constants.get(s.name()).usesLabel(constants);
      case Unary u -> u.operand().usesLabel(constants);
      case Binary b -> b.left().usesLabel(constants) || b.right().usesLabel(constants);
    };
  }

  /** Symbol lookup for evaluation: returns the value or throws naming the symbol. */
  interface Scope {
    long value(Sym symbol);
  }

  default long eval(Scope scope) {
    return switch (this) {
      case Num n -> n.value();
      case Sym s -> scope.value(s);
      case Unary u -> switch (u.op()) {
        case '-' -> -u.operand().eval(scope);
        case '~' -> ~u.operand().eval(scope);
        default -> u.operand().eval(scope);
      };
      case Binary b -> {
        long l = b.left().eval(scope);
        long r = b.right().eval(scope);
        yield switch (b.op()) {
          case "+" -> l + r;
          case "-" -> l - r;
          case "*" -> l * r;
          case "<<" -> l << r;
          case ">>" -> l >> r; // GNU as shifts absolute values arithmetically
          case "&" -> l & r;
          case "|" -> l | r;
          case "^" -> l ^ r;
          default -> throw new IllegalStateException(b.op());
        };
      }
    };
  }
}
