package org.kexecsim.isa;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/** Parses GNU as expressions into {@link Expr} trees (evaluated later, when symbols have values). */
final class ExpressionParser {
  /**
   * How deep one expression may nest (parentheses, unary operators, operator chains). GNU as
   * takes deeper ones, but evaluation here recurses over the tree: a bound keeps a hostile line
   * an error naming it rather than a stack overflow.
   */
  static final int MAX_DEPTH = 500;

  private final Cursor c;
  private int nesting;

  ExpressionParser(Cursor c) {
    this.c = c;
  }

  /*
   * GNU as's binary operator ranks, highest first (binutils gas/expr.c op_rank; checked against
   * `as` by ExpressionGasOracleTest): * / % << >>; then | & ^ ! (and "!!", which is ^); then + -;
   * then == <> != < > <= >=; then &&; then ||. Each rank is left-associative.
   */
  Expr expression() {
    c.skipSpace();
    Expr left = logicalAnd();
    while (true) {
      c.skipSpace();
      if (c.s.startsWith("||", c.pos)) {
        c.pos += 2;
        left = new Expr.Binary("||", left, logicalAnd());
      } else {
        return left;
      }
    }
  }

  Expr logicalAnd() {
    Expr left = comparison();
    while (true) {
      c.skipSpace();
      if (c.s.startsWith("&&", c.pos)) {
        c.pos += 2;
        left = new Expr.Binary("&&", left, comparison());
      } else {
        return left;
      }
    }
  }

  Expr comparison() {
    c.skipSpace();
    Expr left = additive();
    while (true) {
      c.skipSpace();
      String op = null;
      for (String o : new String[] {"==", "!=", "<>", "<=", ">="}) {
        if (c.s.startsWith(o, c.pos)) {
          op = o;
          break;
        }
      }
      char ch = c.peek();
      if (op == null && (ch == '<' || ch == '>') && !c.s.startsWith("<<", c.pos) && !c.s.startsWith(">>", c.pos)) {
        op = String.valueOf(ch);
      }
      if (op == null) {
        return left;
      }
      c.pos += op.length();
      left = new Expr.Binary(op, left, additive());
    }
  }

  Expr additive() {
    c.skipSpace();
    Expr left = bitwise();
    while (true) {
      c.skipSpace();
      char ch = c.peek();
      if (ch != '+' && ch != '-') {
        return left;
      }
      c.pos++;
      left = new Expr.Binary(String.valueOf(ch), left, bitwise());
    }
  }

  Expr bitwise() {
    Expr left = term();
    while (true) {
      c.skipSpace();
      char ch = c.peek();
      boolean logical = c.s.startsWith("&&", c.pos) || c.s.startsWith("||", c.pos) || c.s.startsWith("!=", c.pos);
      if (!logical && (ch == '|' || ch == '&' || ch == '^' || ch == '!')) {
        c.pos++;
        String op = String.valueOf(ch);
        if (ch == '!') {
          // gas/expr.c operatorf: "!!" is exclusive or (MRI compatibility); gas's scrubber has
          // removed the blanks between the two, so "a ! !b" is a ^ b as well
          int at = c.pos;
          c.skipSpace();
          if (c.peek() == '!' && !c.s.startsWith("!=", c.pos)) {
            c.pos++;
            op = "^";
          } else {
            c.pos = at;
          }
        }
        left = new Expr.Binary(op, left, term());
      } else {
        return left;
      }
    }
  }

  Expr term() {
    Expr left = unary();
    while (true) {
      c.skipSpace();
      if (c.s.startsWith("<<", c.pos) || c.s.startsWith(">>", c.pos)) {
        String op = c.s.substring(c.pos, c.pos + 2);
        c.pos += 2;
        left = new Expr.Binary(op, left, unary());
      } else if (c.peek() == '*' || c.peek() == '/' || c.peek() == '%') {
        String op = String.valueOf(c.peek());
        c.pos++;
        left = new Expr.Binary(op, left, unary());
      } else {
        return left;
      }
    }
  }

  Expr unary() {
    c.skipSpace();
    if (++nesting > MAX_DEPTH) {
      throw c.error("expression nests deeper than " + MAX_DEPTH + " levels");
    }
    try {
      return primary();
    } finally {
      nesting--;
    }
  }

  /** The height of an expression tree, walked without recursion (the tree may be hostile). */
  static int depth(Expr root) {
    Deque<Expr> nodes = new ArrayDeque<>();
    Deque<Integer> depths = new ArrayDeque<>();
    nodes.push(root);
    depths.push(1);
    int max = 0;
    while (!nodes.isEmpty()) {
      Expr e = nodes.pop();
      int d = depths.pop();
      max = Math.max(max, d);
      switch (e) {
        case Expr.Num n -> {}
        case Expr.Sym s -> {}
        case Expr.Unary u -> {
          nodes.push(u.operand());
          depths.push(d + 1);
        }
        case Expr.Binary b -> {
          nodes.push(b.left());
          depths.push(d + 1);
          nodes.push(b.right());
          depths.push(d + 1);
        }
      }
    }
    return max;
  }

  private Expr primary() {
    char ch = c.peek();
    if (ch == '-' || ch == '~' || ch == '+' || ch == '!') {
      c.pos++;
      return new Expr.Unary(ch, unary());
    }
    if (c.accept('(')) {
      Expr e = expression();
      c.expect(')');
      return e;
    }
    int st = c.pos;
    if (Character.isDigit(ch)) {
      while (c.pos < c.s.length() && Character.isLetterOrDigit(c.s.charAt(c.pos))) {
        c.pos++;
      }
      String tok = c.s.substring(st, c.pos);
      if (tok.matches("[0-9]+[bf]")) {
        String digits = tok.substring(0, tok.length() - 1);
        String name = c.symbols.localReference(digits, tok.endsWith("b"));
        if (name == null) {
          throw new AssemblyException(c.line, c.col(st), "no earlier local label " + digits + ":");
        }
        return new Expr.Sym(name, c.col(st));
      }
      try {
        String lt = tok.toLowerCase(Locale.ROOT);
        if (lt.startsWith("0x")) {
          return new Expr.Num(Long.parseUnsignedLong(lt.substring(2), 16));
        }
        if (lt.startsWith("0b")) {
          return new Expr.Num(Long.parseUnsignedLong(lt.substring(2), 2));
        }
        if (lt.length() > 1 && lt.startsWith("0")) {
          return new Expr.Num(Long.parseUnsignedLong(lt.substring(1), 8));
        }
        return new Expr.Num(Long.parseUnsignedLong(lt));
      } catch (NumberFormatException e) {
        throw new AssemblyException(c.line, c.col(st), "bad number " + tok);
      }
    }
    if (Cursor.identStart(ch) && ch != '$') {
      String name = c.word();
      return new Expr.Sym(name, c.col(st));
    }
    throw c.error(c.atEnd() ? "expression expected" : "unexpected '" + ch + "' in expression");
  }
}
