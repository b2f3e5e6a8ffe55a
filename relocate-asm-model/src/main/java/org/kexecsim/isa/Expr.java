package org.kexecsim.isa;

/** An assembler expression: constants, symbols and the operators GNU as evaluates for absolute values. */
sealed interface Expr {
  record Num(long value) implements Expr {}

  /** A symbol reference; {@code column} locates it for "undefined symbol" errors. */
  record Sym(String name, int column) implements Expr {}

  record Unary(char op, Expr operand) implements Expr {}

  record Binary(String op, Expr left, Expr right) implements Expr {}

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
        case '!' -> u.operand().eval(scope) == 0 ? 1 : 0;
        default -> u.operand().eval(scope);
      };
      case Binary b -> {
        long l = b.left().eval(scope);
        long r = b.right().eval(scope);
        yield switch (b.op()) {
          case "+" -> l + r;
          case "-" -> l - r;
          case "*" -> l * r;
          // GNU as computes in 64-bit unsigned (valueT): a count outside 0..63 gives 0 (with a
          // warning), and >> is a logical shift (binutils gas/expr.c, O_left_shift/O_right_shift)
          case "<<" -> Long.compareUnsigned(r, 63) > 0 ? 0 : l << r;
          case ">>" -> Long.compareUnsigned(r, 63) > 0 ? 0 : l >>> r;
          case "/" -> {
            if (r == 0) {
              throw new ArithmeticException("division by zero");
            }
            if (l == Long.MIN_VALUE && r == -1) {
              // overflows offsetT: GNU as on x86 dies of SIGFPE ("Internal error (Floating point exception)")
              throw new ArithmeticException("division overflows 64 bits (-2^63 / -1)");
            }
            yield l / r; // signed, truncating, as GNU as (offsetT)
          }
          case "%" -> {
            if (r == 0) {
              throw new ArithmeticException("division by zero");
            }
            if (l == Long.MIN_VALUE && r == -1) {
              throw new ArithmeticException("division overflows 64 bits (-2^63 % -1)"); // SIGFPE in GNU as, as for /
            }
            yield l % r;
          }
          case "&" -> l & r;
          case "|" -> l | r;
          case "^" -> l ^ r;
          case "!" -> l | ~r; // GNU as "or not"
          // comparisons are signed and yield -1 for true (GNU as)
          case "==" -> l == r ? -1 : 0;
          case "!=", "<>" -> l != r ? -1 : 0;
          case "<" -> l < r ? -1 : 0;
          case ">" -> l > r ? -1 : 0;
          case "<=" -> l <= r ? -1 : 0;
          case ">=" -> l >= r ? -1 : 0;
          case "&&" -> l != 0 && r != 0 ? 1 : 0;
          case "||" -> l != 0 || r != 0 ? 1 : 0;
          default -> throw new IllegalStateException(b.op());
        };
      }
    };
  }
}
