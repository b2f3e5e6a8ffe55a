package org.kexecsim.isa;

/**
 * The lexer: scans one statement (a line, or a part between ';' separators); positions are
 * 0-based in the statement, columns 1-based in the line.
 */
final class Cursor {
  final String s;
  final int line;
  final int offset;
  int pos;

  final SymbolTable symbols;

  Cursor(String s, int line, int offset, SymbolTable symbols) {
    this.symbols = symbols;
    this.s = s;
    this.line = line;
    this.offset = offset;
  }

  int col(int p) {
    return offset + p + 1;
  }

  AssemblyException error(String why) {
    return new AssemblyException(line, col(pos), why);
  }

  boolean atEnd() {
    skipSpace();
    return pos >= s.length();
  }

  char peek() {
    return pos < s.length() ? s.charAt(pos) : '\0';
  }

  void skipSpace() {
    while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
      pos++;
    }
  }

  boolean accept(char ch) {
    if (peek() == ch) {
      pos++;
      return true;
    }
    return false;
  }

  void expect(char ch) {
    skipSpace();
    if (!accept(ch)) {
      throw error("expected '" + ch + "'");
    }
  }

  void expectEnd() {
    if (!atEnd()) {
      throw error("unexpected '" + s.substring(pos).strip() + "'");
    }
  }

  static boolean identStart(char ch) {
    return Character.isLetter(ch) || ch == '_' || ch == '.' || ch == '$';
  }

  static boolean identPart(char ch) {
    return identStart(ch) || Character.isDigit(ch);
  }

  /** A symbol name or a run of digits (local label). */
  String identifier() {
    skipSpace();
    int st = pos;
    if (pos < s.length() && Character.isDigit(s.charAt(pos))) {
      while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
        pos++;
      }
      if (peek() == ':') {
        return s.substring(st, pos);
      }
      pos = st;
      return null;
    }
    if (pos < s.length() && identStart(s.charAt(pos)) && s.charAt(pos) != '$') {
      while (pos < s.length() && identPart(s.charAt(pos))) {
        pos++;
      }
      return s.substring(st, pos);
    }
    return null;
  }

  String word() {
    int st = pos;
    while (pos < s.length() && (identPart(s.charAt(pos)))) {
      pos++;
    }
    return pos > st ? s.substring(st, pos) : null;
  }

  /** An expression (GNU as syntax) starting here. */
  Expr expression() {
    int st = pos;
    Expr e = new ExpressionParser(this).expression();
    if (ExpressionParser.depth(e) > ExpressionParser.MAX_DEPTH) {
      throw new AssemblyException(line, col(st),
          "expression nests deeper than " + ExpressionParser.MAX_DEPTH + " levels");
    }
    return e;
  }

  /** An AT&T operand starting here, for {@code bits}-bit code. */
  SourceOperand operand(int bits) {
    return new OperandParser(this).operand(bits);
  }
}
