package org.kexecsim.isa;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kexecsim.isa.SourceOperand.MemOp;
import org.kexecsim.isa.Statement.AlignStmt;
import org.kexecsim.isa.Statement.DataStmt;
import org.kexecsim.isa.Statement.FillStmt;
import org.kexecsim.isa.Statement.InsnStmt;
import org.kexecsim.isa.Statement.LabelStmt;
import org.kexecsim.isa.Statement.SetStmt;

/** The parser: source lines to {@link Statement}s (labels, directives, instructions with their operands). */
final class SourceParser {
  /** How deep .include may nest: a file that includes itself ends here, with one line. */
  static final int MAX_INCLUDE_DEPTH = 16;

  private final SymbolTable symbols;
  private final Includes includes;
  private final List<Statement> stmts = new ArrayList<>();
  // the state GNU as carries across an .include, as the included lines stand in its place
  private int bits;
  private boolean data;
  /** Inside an included file: the line of the outermost .include, which its statements report; else 0. */
  private int includedAt;
  /** Inside an included file: the outermost .include's column, and "in NAME, " for each file entered. */
  private int includedColumn;
  private String includePath = "";
  private int depth;
  /** Per statement: where in an included file it stands, or null for the source's own. */
  private final List<Origin> origins = new ArrayList<>();
  /** The line index being parsed in the current file. */
  private int lineIndex;

  /**
   * Where a statement of an included file stands, for the errors found after parsing (Layout:
   * undefined symbols, values too wide): reported as parse errors inside the file are, one error
   * on the outermost .include's line naming the file and its own line.
   */
  record Origin(int line, int column, String path, int fileLine) {
    AssemblyException locate(AssemblyException e) {
      return new AssemblyException(line, column, path + fileLine + ":" + e.column() + ": " + e.reason());
    }
  }

  SourceParser(SymbolTable symbols, Includes includes) {
    this.symbols = symbols;
    this.includes = includes;
  }

  List<Statement> parse(String source, int initialBits) {
    bits = initialBits;
    data = false;
    parseLines(source);
    return stmts;
  }

  /** After {@link #parse}: one per statement, null for those of the source itself. */
  List<Origin> origins() {
    return origins;
  }

  /** Records the origin of the statements added since the last call: they stand on {@link #lineIndex}. */
  private void sync() {
    while (origins.size() < stmts.size()) {
      origins.add(includedAt == 0 ? null : new Origin(includedAt, includedColumn, includePath, lineIndex + 1));
    }
  }

  /** The line a statement of line index {@code ln} reports: its own, or the .include it came through. */
  private int at(int ln) {
    return includedAt != 0 ? includedAt : ln + 1;
  }

  private void parseLines(String source) {
    String[] lines = SourceText.blankCComments(source).split("\n", -1);
    for (int ln = 0; ln < lines.length; ln++) {
      sync();
      lineIndex = ln;
      String raw = lines[ln];
      String code = SourceText.stripComment(raw);
      int partStart = 0;
      for (String part : SourceText.splitStatements(code)) {
        Cursor c = new Cursor(part, ln + 1, partStart, symbols);
        partStart += part.length() + 1;
        c.skipSpace();
        // labels: name: or N:
        while (true) {
          int save = c.pos;
          String name = c.identifier();
          c.skipSpace();
          if (name != null && c.peek() == ':') {
            c.pos++;
            stmts.add(new LabelStmt(symbols.defineLabel(name, ln + 1, c.col(save), stmts.size()), at(ln), c.col(save), data));
            c.skipSpace();
            continue;
          }
          c.pos = save;
          break;
        }
        if (c.atEnd()) {
          continue;
        }
        int stmtCol = c.col(c.pos);
        if (SourceText.isRep(c.s.substring(c.pos).strip())) {
          // "rep ; movsq": GNU as emits the prefix byte as a statement of its own, so it comes
          // before any 66/REX prefix of the next instruction
          stmts.add(new DataStmt(1, List.of(new Expr.Num(0xF3)), at(ln), stmtCol, data, part.strip()));
          continue;
        }
        String word = c.word();
        if (word == null) {
          throw c.error("expected a mnemonic, directive or label");
        }
        String lw = word.toLowerCase(Locale.ROOT);
        c.skipSpace();
        if (c.peek() == '=' && !lw.startsWith(".")) {
          c.pos++;
          symbols.defineConstant(word, c.expression(), stmts.size(), c.line);
          stmts.add(new SetStmt(word, symbols.constant(word), at(ln), stmtCol, data));
          c.expectEnd();
          continue;
        }
        String text = part.strip();
        switch (lw) {
          case ".text" -> {
            data = false;
            symbols.endFrag();
          }
          case ".data" -> {
            data = true;
            symbols.endFrag();
          }
          case ".include" -> include(c, stmtCol);
          case ".code32" -> bits = 32;
          case ".code64" -> bits = 64;
          case ".globl", ".global" -> {
            if (c.identifier() == null) {
              throw c.error(word + " needs a symbol name");
            }
          }
          case ".set", ".equ" -> {
            String name = c.identifier();
            if (name == null) {
              throw c.error(word + " needs a symbol name");
            }
            c.skipSpace();
            c.expect(',');
            Expr e = c.expression();
            symbols.defineConstant(name, e, stmts.size(), c.line);
            stmts.add(new SetStmt(name, e, at(ln), stmtCol, data));
          }
          case ".byte", ".word", ".short", ".long", ".int", ".quad" -> {
            int width = switch (lw) {
              case ".byte" -> 1;
              case ".word", ".short" -> 2;
              case ".long", ".int" -> 4;
              default -> 8;
            };
            List<Expr> values = new ArrayList<>();
            do {
              c.skipSpace();
              values.add(c.expression());
              c.skipSpace();
            } while (c.accept(','));
            stmts.add(new DataStmt(width, values, at(ln), stmtCol, data, text));
          }
          case ".fill" -> {
            Expr count = c.expression();
            Expr size = new Expr.Num(1);
            Expr value = new Expr.Num(0);
            c.skipSpace();
            if (c.accept(',')) {
              size = c.expression();
              c.skipSpace();
              if (c.accept(',')) {
                value = c.expression();
              }
            }
            stmts.add(new FillStmt(count, size, value, at(ln), stmtCol, data, text));
          }
          case ".align", ".balign", ".p2align" -> {
            Expr n = c.expression();
            Expr fill = null;
            c.skipSpace();
            if (c.accept(',')) {
              c.skipSpace();
              if (c.peek() != ',') {
                fill = c.expression();
              }
              c.skipSpace();
              if (c.accept(',')) {
                throw c.error("the maximum-skip operand of " + word + " is not supported");
              }
            }
            stmts.add(new AlignStmt(n, lw.equals(".p2align"), fill, bits, at(ln), stmtCol, data, text));
            symbols.endFrag();
          }
          default -> {
            if (lw.startsWith(".")) {
              throw new AssemblyException(ln + 1, stmtCol, "unknown directive " + word);
            }
            boolean rep = false;
            if (SourceText.isRep(lw)) {
              rep = true;
              c.skipSpace();
              stmtCol = c.col(c.pos);
              word = c.word();
              if (word == null) {
                throw c.error("rep needs a string instruction");
              }
              lw = word.toLowerCase(Locale.ROOT);
              c.skipSpace();
            }
            List<SourceOperand> ops = new ArrayList<>();
            if (!c.atEnd()) {
              do {
                c.skipSpace();
                ops.add(c.operand(bits));
                c.skipSpace();
              } while (c.accept(','));
            }
            stmts.add(new InsnStmt(lw, rep, ops, bits, at(ln), stmtCol, data, text, symbols.frag()));
            if (relaxable(lw, ops)) {
              symbols.endFrag();
            }
          }
        }
        c.expectEnd();
      }
    }
    sync();
  }

  /**
   * {@code .include "NAME"}: NAME's lines, parsed where the directive stands. A failure inside
   * them is one error on the directive's line that names the file and its own line.
   */
  private void include(Cursor c, int col) {
    c.skipSpace();
    int open = c.pos;
    int close = c.s.indexOf('"', open + 1);
    if (c.peek() != '"' || close < 0) {
      throw c.error(".include needs a file name in double quotes");
    }
    String name = c.s.substring(open + 1, close);
    c.pos = close + 1;
    if (depth >= MAX_INCLUDE_DEPTH) {
      throw new AssemblyException(c.line, col, ".include \"" + name + "\" nests deeper than "
          + MAX_INCLUDE_DEPTH + " files (a file that includes itself?)");
    }
    String text = includes.text(name).orElseThrow(() -> new AssemblyException(c.line, col,
        includes == Includes.NONE ? ".include \"" + name + "\": no files can be included here (a .S file's #include goes through cpp)"
            : ".include \"" + name + "\": no such file"));
    sync();
    int outer = includedAt;
    int outerColumn = includedColumn;
    String outerPath = includePath;
    int outerLine = lineIndex;
    includePath = outer == 0 ? "in " + name + ", " : includePath + c.line + ":" + col + ": in " + name + ", ";
    includedColumn = outer == 0 ? col : includedColumn;
    includedAt = at(c.line - 1);
    depth++;
    try {
      parseLines(text);
    } catch (AssemblyException e) {
      throw new AssemblyException(c.line, col, "in " + name + ", " + e.line() + ":" + e.column() + ": " + e.reason());
    } finally {
      includedAt = outer;
      includedColumn = outerColumn;
      includePath = outerPath;
      lineIndex = outerLine;
      depth--;
    }
  }

  /** jmp/jcc to a label: GNU as may grow them, so the frag ends there. */
  private static boolean relaxable(String mnemonic, List<SourceOperand> ops) {
    boolean jump = mnemonic.equals("jmp") || (mnemonic.startsWith("j") && Condition.parse(mnemonic.substring(1)) != null);
    return jump && ops.size() == 1 && ops.get(0) instanceof MemOp m && m.bare();
  }
}
