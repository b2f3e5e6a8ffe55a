package org.kexecsim.isa;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.kexecsim.isa.Instruction.BranchKind;
import org.kexecsim.isa.Instruction.SimpleOp;

/**
 * AT&T-syntax assembler for the modelled subset, producing the bytes GNU as 2.40 produces for
 * the same source (then {@code objcopy -O binary -j .text}).
 *
 * <p>Layout works like GNU as relaxation: jumps to labels start in their rel8 form and grow to
 * rel32 when the distance does not fit, repeating until no label moves. Values that depend on a
 * label take their 32-bit forms (imm32, disp32), as GNU as does for values its first pass cannot
 * resolve. Labels are absolute addresses from {@code origin}; .data follows .text.
 */
public final class Assembler {
  private static final int MAX_PASSES = 64;
  /**
   * The largest image assembled: .fill and .align are bounded per statement, so without a total
   * a few lines of source could ask for gigabytes. The relocate routines fit in a page.
   */
  static final long MAX_IMAGE_BYTES = 16L << 20;

  private final List<Stmt> stmts = new ArrayList<>();
  private final Map<String, Expr> constants = new HashMap<>();
  private final Map<String, Integer> localCounts = new HashMap<>();
  private final Set<String> labelNames = new java.util.HashSet<>();
  /**
   * GNU as "frags": runs of statements whose sizes are fixed at parse time. A relaxable jump,
   * an alignment or a section switch ends one. A difference of labels already defined in the
   * current frag is a constant when GNU as parses it, so it gets the short forms.
   */
  private int frag;
  private final Map<String, int[]> labelFrags = new HashMap<>();
  /** .set/.equ symbols whose value GNU as fixed when it parsed them (constants, or in-frag label differences). */
  private final Set<String> fixedConstants = new java.util.HashSet<>();

  private Assembler() {}

  /** Assembles {@code source} starting in {@code bits}-bit mode (32 or 64) at address 0. */
  public static Assembly assemble(String source, int bits) {
    return assemble(source, bits, 0);
  }

  public static Assembly assemble(String source, int bits, long origin) {
    if (bits != 32 && bits != 64) {
      throw new IllegalArgumentException("bits must be 32 or 64");
    }
    Assembler a = new Assembler();
    a.parse(source, bits);
    return a.layOut(origin);
  }

  // ---- statements ------------------------------------------------------------------------------

  private sealed interface Stmt {
    int line();

    int column();

    boolean data();
  }

  private record LabelStmt(String name, int line, int column, boolean data) implements Stmt {}

  private record InsnStmt(String mnemonic, boolean rep, List<Op> ops, int bits, int line, int column, boolean data, String text, int frag)
      implements Stmt {}

  private record DataStmt(int width, List<Expr> values, int line, int column, boolean data, String text) implements Stmt {}

  private record FillStmt(Expr count, Expr size, Expr value, int line, int column, boolean data, String text) implements Stmt {}

  private record AlignStmt(Expr alignment, boolean power, Expr fill, int bits, int line, int column, boolean data, String text)
      implements Stmt {}

  private record SetStmt(String name, Expr value, int line, int column, boolean data) implements Stmt {}

  /** Parsed operands, before symbol values are known. */
  private sealed interface Op {
    int column();
  }

  private record RegOp(Gpr reg, int column) implements Op {}

  private record SegOp(Segment seg, int column) implements Op {}

  private record CrOp(int number, int column) implements Op {}

  private record ImmOp(Expr value, int column) implements Op {}

  /** disp(base,index,scale); base may be RIP_BASE. A bare expression is a MemOp with no registers. */
  private record MemOp(Expr disp, int base, int baseSize, int index, int indexSize, int scale, boolean bare, int column)
      implements Op {}

  private record IndirectOp(Op target, int column) implements Op {}

  // ---- parsing ---------------------------------------------------------------------------------

  private void parse(String source, int initialBits) {
    int bits = initialBits;
    boolean data = false;
    String[] lines = blankCComments(source).split("\n", -1);
    for (int ln = 0; ln < lines.length; ln++) {
      String raw = lines[ln];
      String code = stripComment(raw);
      int partStart = 0;
      for (String part : splitStatements(code)) {
        Cursor c = new Cursor(part, ln + 1, partStart);
        partStart += part.length() + 1;
        c.skipSpace();
        // labels: name: or N:
        while (true) {
          int save = c.pos;
          String name = c.identifier();
          c.skipSpace();
          if (name != null && c.peek() == ':') {
            c.pos++;
            defineLabel(name, ln + 1, c.col(save), data);
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
        if (isRep(c.s.substring(c.pos).strip())) {
          // "rep ; movsq": GNU as emits the prefix byte as a statement of its own, so it comes
          // before any 66/REX prefix of the next instruction
          stmts.add(new DataStmt(1, List.of(new Expr.Num(0xF3)), ln + 1, stmtCol, data, part.strip()));
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
          defineConstant(word, c.expression());
          stmts.add(new SetStmt(word, constants.get(word), ln + 1, stmtCol, data));
          c.expectEnd();
          continue;
        }
        String text = part.strip();
        switch (lw) {
          case ".text" -> {
            data = false;
            frag++;
          }
          case ".data" -> {
            data = true;
            frag++;
          }
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
            defineConstant(name, e);
            stmts.add(new SetStmt(name, e, ln + 1, stmtCol, data));
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
            stmts.add(new DataStmt(width, values, ln + 1, stmtCol, data, text));
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
            stmts.add(new FillStmt(count, size, value, ln + 1, stmtCol, data, text));
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
            stmts.add(new AlignStmt(n, lw.equals(".p2align"), fill, bits, ln + 1, stmtCol, data, text));
            frag++;
          }
          default -> {
            if (lw.startsWith(".")) {
              throw new AssemblyException(ln + 1, stmtCol, "unknown directive " + word);
            }
            boolean rep = false;
            if (isRep(lw)) {
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
            List<Op> ops = new ArrayList<>();
            if (!c.atEnd()) {
              do {
                c.skipSpace();
                ops.add(c.operand(bits));
                c.skipSpace();
              } while (c.accept(','));
            }
            stmts.add(new InsnStmt(lw, rep, ops, bits, ln + 1, stmtCol, data, text, frag));
            if (relaxable(lw, ops)) {
              frag++;
            }
          }
        }
        c.expectEnd();
      }
    }
  }

  private void defineConstant(String name, Expr e) {
    List<String> names = new ArrayList<>();
    collectLabels(e, names);
    constants.put(name, e);
    if (names.isEmpty() || fixedAtParse(names, frag, stmts.size())) {
      fixedConstants.add(name);
    } else {
      fixedConstants.remove(name);
    }
  }

  /** jmp/jcc to a label: GNU as may grow them, so the frag ends there. */
  private static boolean relaxable(String mnemonic, List<Op> ops) {
    boolean jump = mnemonic.equals("jmp") || (mnemonic.startsWith("j") && Condition.parse(mnemonic.substring(1)) != null);
    return jump && ops.size() == 1 && ops.get(0) instanceof MemOp m && m.bare();
  }

  /**
   * Whether GNU as knows the value when it parses the statement: a difference of labels all
   * defined earlier, all in one frag ({@code .} being in the statement's frag); a single label
   * is an address, never a constant.
   */
  private boolean fixedAtParse(List<String> names, int stmtFrag, int stmtIndex) {
    if (names.size() < 2) {
      return false;
    }
    int common = -1;
    for (String n : names) {
      int f;
      if (n.equals(".")) {
        f = stmtFrag;
      } else {
        int[] at = labelFrags.get(n);
        if (at == null || at[1] >= stmtIndex) {
          return false;
        }
        f = at[0];
      }
      if (common >= 0 && f != common) {
        return false;
      }
      common = f;
    }
    return true;
  }

  private void collectLabels(Expr e, List<String> out) {
    switch (e) {
      case Expr.Num n -> {}
      case Expr.Sym sym -> {
        Expr c = constants.get(sym.name());
        if (fixedConstants.contains(sym.name())) {
          return; // already a number for GNU as
        }
        if (c != null) {
          collectLabels(c, out);
        } else {
          out.add(sym.name());
        }
      }
      case Expr.Unary u -> collectLabels(u.operand(), out);
      case Expr.Binary b -> {
        collectLabels(b.left(), out);
        collectLabels(b.right(), out);
      }
    }
  }

  private void defineLabel(String name, int line, int col, boolean data) {
    if (Character.isDigit(name.charAt(0))) {
      if (!name.chars().allMatch(Character::isDigit)) {
        throw new AssemblyException(line, col, "bad local label " + name);
      }
      int n = localCounts.merge(name, 1, Integer::sum);
      name = localName(name, n);
    } else if (!labelNames.add(name) || constants.containsKey(name)) {
      throw new AssemblyException(line, col, "symbol " + name + " is already defined");
    }
    labelFrags.put(name, new int[] {frag, stmts.size()});
    stmts.add(new LabelStmt(name, line, col, data));
  }

  private static String localName(String digits, int instance) {
    return digits + "\u0002" + instance;
  }

  private static boolean isRep(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    return w.equals("rep") || w.equals("repz") || w.equals("repe");
  }

  /**
   * C comments that survive cpp (it keeps them with -C, and a .S passed straight in has them):
   * GNU as treats them as white space. Newlines inside are kept so line numbers stay right.
   */
  static String blankCComments(String source) {
    if (source.indexOf("/*") < 0) {
      return source;
    }
    StringBuilder out = new StringBuilder(source.length());
    int i = 0;
    while (i < source.length()) {
      int open = source.indexOf("/*", i);
      if (open < 0) {
        out.append(source, i, source.length());
        break;
      }
      out.append(source, i, open);
      int close = source.indexOf("*/", open + 2);
      int end = close < 0 ? source.length() : close + 2;
      for (int k = open; k < end; k++) {
        out.append(source.charAt(k) == '\n' ? '\n' : ' ');
      }
      i = end;
    }
    return out.toString();
  }

  private static String stripComment(String line) {
    int hash = line.indexOf('#');
    return hash >= 0 ? line.substring(0, hash) : line;
  }

  private static List<String> splitStatements(String line) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == ';') {
        out.add(line.substring(start, i));
        start = i + 1;
      }
    }
    out.add(line.substring(start));
    return out;
  }

  /** Scans one statement; positions are 0-based in the statement, columns 1-based in the line. */
  private final class Cursor {
    final String s;
    final int line;
    final int offset;
    int pos;

    Cursor(String s, int line, int offset) {
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

    Op operand(int bits) {
      skipSpace();
      int st = col(pos);
      if (accept('*')) {
        Op inner = operand(bits);
        if (inner instanceof ImmOp || inner instanceof IndirectOp) {
          throw new AssemblyException(line, st, "bad indirect operand");
        }
        return new IndirectOp(inner, st);
      }
      if (accept('$')) {
        return new ImmOp(expression(), st);
      }
      if (peek() == '%') {
        int save = pos;
        pos++;
        String name = word();
        String ln = name == null ? "" : name.toLowerCase(Locale.ROOT);
        Gpr g = Gpr.parse(ln);
        if (g != null) {
          return new RegOp(g, st);
        }
        if (ln.matches("cr[0-9]{1,9}")) { // longer numbers would overflow parseInt; they are unknown registers
          return new CrOp(Integer.parseInt(ln.substring(2)), st);
        }
        for (Segment sg : Segment.values()) {
          if (sg.name().toLowerCase(Locale.ROOT).equals(ln)) {
            skipSpace();
            if (peek() == ':') {
              pos = save;
              throw error("segment override prefixes are outside the assembler's subset");
            }
            return new SegOp(sg, st);
          }
        }
        pos = save;
        throw error("unknown register %" + name);
      }
      Expr disp = null;
      String afterParen = s.substring(Math.min(s.length(), pos + 1)).stripLeading();
      if (peek() != '(' || !(afterParen.startsWith("%") || afterParen.startsWith(","))) {
        disp = expression();
        skipSpace();
      }
      if (!accept('(')) {
        return new MemOp(disp, Mem.NONE, 0, Mem.NONE, 0, 1, true, st);
      }
      int base = Mem.NONE, baseSize = 0, index = Mem.NONE, indexSize = 0, scale = 1;
      skipSpace();
      if (peek() == '%') {
        pos++;
        int rc = col(pos - 1);
        String name = word();
        if ("rip".equalsIgnoreCase(name)) {
          base = Mem.RIP;
          baseSize = 8;
        } else {
          Gpr g = name == null ? null : Gpr.parse(name.toLowerCase(Locale.ROOT));
          if (g == null) {
            throw new AssemblyException(line, rc, "bad base register %" + name);
          }
          base = g.number();
          baseSize = g.size();
        }
      }
      skipSpace();
      if (accept(',')) {
        skipSpace();
        int rc = col(pos);
        if (!accept('%')) {
          throw error("expected an index register");
        }
        String name = word();
        Gpr g = name == null ? null : Gpr.parse(name.toLowerCase(Locale.ROOT));
        if (g == null || g.number() == Gpr.RSP) {
          throw new AssemblyException(line, rc, "bad index register %" + name);
        }
        index = g.number();
        indexSize = g.size();
        skipSpace();
        if (accept(',')) {
          skipSpace();
          int sc = col(pos);
          String n = word();
          if (n == null || !(n.equals("1") || n.equals("2") || n.equals("4") || n.equals("8"))) {
            throw new AssemblyException(line, sc, "scale must be 1, 2, 4 or 8");
          }
          scale = Integer.parseInt(n);
        }
      }
      expect(')');
      return new MemOp(disp, base, baseSize, index, indexSize, scale, false, st);
    }

    // GNU as precedence (as.info "Infix Operators"): unary > (* / % << >>) > (| & ^ !) >
    // (+ - == <> != < > <= >=) > && > ||
    Expr expression() {
      skipSpace();
      Expr left = logicalAnd();
      while (true) {
        skipSpace();
        if (s.startsWith("||", pos)) {
          pos += 2;
          left = new Expr.Binary("||", left, logicalAnd());
        } else {
          return left;
        }
      }
    }

    Expr logicalAnd() {
      Expr left = additive();
      while (true) {
        skipSpace();
        if (s.startsWith("&&", pos)) {
          pos += 2;
          left = new Expr.Binary("&&", left, additive());
        } else {
          return left;
        }
      }
    }

    Expr additive() {
      skipSpace();
      Expr left = bitwise();
      while (true) {
        skipSpace();
        String op = null;
        for (String o : new String[] {"==", "!=", "<>", "<=", ">="}) {
          if (s.startsWith(o, pos)) {
            op = o;
            break;
          }
        }
        char ch = peek();
        if (op == null && (ch == '+' || ch == '-')) {
          op = String.valueOf(ch);
        } else if (op == null && (ch == '<' || ch == '>') && !s.startsWith("<<", pos) && !s.startsWith(">>", pos)) {
          op = String.valueOf(ch);
        }
        if (op == null) {
          return left;
        }
        pos += op.length();
        left = new Expr.Binary(op, left, bitwise());
      }
    }

    Expr bitwise() {
      Expr left = term();
      while (true) {
        skipSpace();
        char ch = peek();
        boolean logical = s.startsWith("&&", pos) || s.startsWith("||", pos) || s.startsWith("!=", pos);
        if (!logical && (ch == '|' || ch == '&' || ch == '^' || ch == '!')) {
          pos++;
          left = new Expr.Binary(String.valueOf(ch), left, term());
        } else {
          return left;
        }
      }
    }

    Expr term() {
      Expr left = unary();
      while (true) {
        skipSpace();
        if (s.startsWith("<<", pos) || s.startsWith(">>", pos)) {
          String op = s.substring(pos, pos + 2);
          pos += 2;
          left = new Expr.Binary(op, left, unary());
        } else if (peek() == '*' || peek() == '/' || peek() == '%') {
          String op = String.valueOf(peek());
          pos++;
          left = new Expr.Binary(op, left, unary());
        } else {
          return left;
        }
      }
    }

    Expr unary() {
      skipSpace();
      char ch = peek();
      if (ch == '-' || ch == '~' || ch == '+' || ch == '!') {
        pos++;
        return new Expr.Unary(ch, unary());
      }
      if (accept('(')) {
        Expr e = expression();
        expect(')');
        return e;
      }
      int st = pos;
      if (Character.isDigit(ch)) {
        while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) {
          pos++;
        }
        String tok = s.substring(st, pos);
        if (tok.matches("[0-9]+[bf]")) {
          String digits = tok.substring(0, tok.length() - 1);
          int seen = localCounts.getOrDefault(digits, 0);
          int instance = tok.endsWith("b") ? seen : seen + 1;
          if (instance == 0) {
            throw new AssemblyException(line, col(st), "no earlier local label " + digits + ":");
          }
          return new Expr.Sym(localName(digits, instance), col(st));
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
          throw new AssemblyException(line, col(st), "bad number " + tok);
        }
      }
      if (identStart(ch) && ch != '$') {
        String name = word();
        return new Expr.Sym(name, col(st));
      }
      throw error(atEnd() ? "expression expected" : "unexpected '" + ch + "' in expression");
    }
  }

  // ---- layout and encoding ---------------------------------------------------------------------

  private final Map<String, Long> labels = new HashMap<>();
  private boolean[] longBranch;

  private Assembly layOut(long origin) {
    longBranch = new boolean[stmts.size()];
    int[] sizes = new int[stmts.size()];
    for (int pass = 0; pass < MAX_PASSES; pass++) {
      boolean changed = runPass(origin, false, sizes, null, null);
      if (!changed && pass > 0) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        ByteArrayOutputStream dataOut = new ByteArrayOutputStream();
        List<Assembly.ListingLine> listing = new ArrayList<>();
        runPass(origin, true, sizes, new ByteArrayOutputStream[] {text, dataOut}, listing);
        byte[] t = text.toByteArray();
        byte[] d = dataOut.toByteArray();
        byte[] all = new byte[t.length + d.length];
        System.arraycopy(t, 0, all, 0, t.length);
        System.arraycopy(d, 0, all, t.length, d.length);
        Map<String, Long> symbols = new LinkedHashMap<>();
        labels.forEach((k, v) -> {
          if (k.indexOf('\u0002') < 0) {
            symbols.put(k, v);
          }
        });
        listing.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return new Assembly(all, symbols, listing);
      }
    }
    throw new AssemblyException(1, 1, "layout did not converge after " + MAX_PASSES + " passes");
  }

  /** One layout pass over .text then .data; returns whether any label moved or jump grew. */
  private boolean runPass(
      long origin, boolean strict, int[] sizes, ByteArrayOutputStream[] out, List<Assembly.ListingLine> listing) {
    boolean changed = false;
    long addr = origin;
    for (int sect = 0; sect < 2; sect++) {
      boolean dataSection = sect == 1;
      for (int i = 0; i < stmts.size(); i++) {
        Stmt st = stmts.get(i);
        if (st.data() != dataSection) {
          continue;
        }
        final long here = addr;
        Expr.Scope scope = sym -> lookup(sym, st, here, strict);
        byte[] bytes;
        try {
          bytes = statementBytes(st, i, scope, addr, origin, strict, dataSection);
        } catch (ArithmeticException e) {
          throw new AssemblyException(st.line(), st.column(), e.getMessage());
        }
        if (bytes == null) {
          changed |= labelMoved;
          labelMoved = false;
          continue;
        }
        if (Long.compareUnsigned(addr - origin + bytes.length, MAX_IMAGE_BYTES) > 0) {
          throw new AssemblyException(st.line(), st.column(), String.format(
              "the image grows past %d MiB here: this assembler builds small routines", MAX_IMAGE_BYTES >> 20));
        }
        if (sizes[i] != bytes.length) {
          changed = true;
          sizes[i] = bytes.length;
        }
        if (out != null) {
          out[sect].writeBytes(bytes);
          String text = switch (st) {
            case InsnStmt in -> in.text();
            case DataStmt d -> d.text();
            case FillStmt f -> f.text();
            case AlignStmt a -> a.text();
            default -> "";
          };
          listing.add(new Assembly.ListingLine(st.line(), addr, bytes.length, text));
        }
        addr += bytes.length;
      }
    }
    return changed;
  }

  private boolean labelMoved;

  /** The bytes of one statement at {@code addr}, or null for a label or .set (which emit none). */
  private byte[] statementBytes(Stmt st, int i, Expr.Scope scope, long addr, long origin, boolean strict, boolean dataSection) {
    return switch (st) {
      case LabelStmt l -> {
        Long old = labels.put(l.name(), addr);
        labelMoved |= old == null || old != addr;
        yield null;
      }
      case SetStmt s -> {
        yield null;
      }
      case InsnStmt in -> encode(in, i, scope, addr, strict);
      case DataStmt d -> {
        byte[] bytes = new byte[d.width() * d.values().size()];
        for (int k = 0; k < d.values().size(); k++) {
          long v = d.values().get(k).eval(scope);
          if (strict) {
            checkRange(v, d.width(), d.line(), d.column());
          }
          for (int b = 0; b < d.width(); b++) {
            bytes[k * d.width() + b] = (byte) (v >>> (8 * b));
          }
        }
        yield bytes;
      }
      case FillStmt f -> {
        long count = f.count().eval(scope);
        long size = f.size().eval(scope);
        if (count < 0 || count > (1 << 24)) {
          throw new AssemblyException(f.line(), f.column(), ".fill count " + count + " out of range");
        }
        if (size < 0 || size > 8) {
          throw new AssemblyException(f.line(), f.column(), ".fill size " + size + " must be 0..8");
        }
        // GNU as: each repeat comes from an 8-byte number whose high 4 bytes are zero
        long v = f.value().eval(scope) & 0xFFFF_FFFFL;
        byte[] bytes = new byte[(int) (count * size)];
        for (int k = 0; k < count; k++) {
          for (int b = 0; b < size; b++) {
            bytes[(int) (k * size + b)] = (byte) (b < 8 ? v >>> (8 * b) : 0);
          }
        }
        yield bytes;
      }
      case AlignStmt a -> {
        long n = a.alignment().eval(scope);
        if (a.power()) {
          if (n < 0 || n > 16) {
            throw new AssemblyException(a.line(), a.column(), ".p2align " + n + " out of range");
          }
          n = 1L << n;
        }
        if (n <= 0 || Long.bitCount(n) != 1 || n > 65536) {
          throw new AssemblyException(a.line(), a.column(), "alignment " + n + " is not a power of 2 up to 65536");
        }
        int pad = (int) ((n - (addr - origin) % n) % n);
        yield a.fill() != null ? filled(pad, a.fill().eval(scope)) : dataSection ? new byte[pad] : Nops.padding(pad, a.bits());
      }
    };
  }

  private static byte[] filled(int n, long value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  private static void checkRange(long v, int width, int line, int col) {
    if (width == 8) {
      return;
    }
    long min = -(1L << (8 * width - 1));
    long max = (1L << (8 * width)) - 1;
    if (v < min || v > max) {
      throw new AssemblyException(line, col, String.format("value 0x%x does not fit %d byte%s", v, width, width == 1 ? "" : "s"));
    }
  }

  private long lookup(Expr.Sym sym, Stmt st, long here, boolean strict) {
    String name = sym.name();
    if (name.equals(".")) {
      return here;
    }
    Expr c = constants.get(name);
    if (c != null) {
      return c.eval(s -> lookup(s, st, here, strict));
    }
    Long v = labels.get(name);
    if (v != null) {
      return v;
    }
    if (strict) {
      String shown = name.indexOf('\u0002') >= 0 ? "local label " + name.substring(0, name.indexOf('\u0002')) + "f" : name;
      throw new AssemblyException(st.line(), sym.column(), "undefined symbol " + shown);
    }
    return 0; // a forward reference in an early pass; the next pass sees its address
  }

  private byte[] encode(InsnStmt in, int index, Expr.Scope scope, long addr, boolean strict) {
    Built b = new Translator(in, index, scope, strict).build();
    try {
      Instruction insn = b.insn();
      if (b.ripTarget() != null) {
        byte[] probe = Encoder.encode(insn, in.bits(), addr, b.wideImm(), true, false);
        long disp = b.ripTarget() - (addr + probe.length);
        insn = withRipDisp(insn, disp);
      }
      if (insn instanceof Instruction.Branch br && br.kind() != BranchKind.CALL && !longBranch[index]) {
        long rel = br.target() - (addr + 2);
        if (in.bits() == 32) {
          rel = (int) rel;
        }
        if (!Encoder.fitsS8(rel) && (strict || b.resolved())) {
          longBranch[index] = true; // relax: grows only, so layout converges
        }
        if (!longBranch[index] && !Encoder.fitsS8(rel)) {
          return new byte[2];
        }
      }
      return Encoder.encode(insn, in.bits(), addr, b.wideImm(), b.wideDisp(), longBranch[index]);
    } catch (EncodingException e) {
      if (!strict && !b.resolved()) {
        return new byte[8]; // value not known yet; the strict pass reports real range errors
      }
      throw new AssemblyException(in.line(), in.column(), e.getMessage());
    }
  }

  private static Instruction withRipDisp(Instruction insn, long disp) {
    java.util.function.UnaryOperator<Operand> fix =
        o -> o instanceof Mem m && m.ripRelative() ? new Mem(m.segment(), m.base(), m.index(), m.scale(), disp) : o;
    return switch (insn) {
      case Instruction.Mov m -> new Instruction.Mov(m.size(), fix.apply(m.dst()), fix.apply(m.src()));
      case Instruction.Alu a -> new Instruction.Alu(a.op(), a.size(), fix.apply(a.dst()), fix.apply(a.src()));
      case Instruction.Lea l -> new Instruction.Lea(l.size(), l.dst(), (Mem) fix.apply(l.src()));
      case Instruction.IncDec i -> new Instruction.IncDec(i.increment(), i.size(), fix.apply(i.target()));
      case Instruction.Shift s -> new Instruction.Shift(s.op(), s.size(), fix.apply(s.target()), s.count(), s.byCl());
      case Instruction.Nop n -> new Instruction.Nop(n.size(), fix.apply(n.target()));
      case Instruction.LoadTable t -> new Instruction.LoadTable(t.idt(), (Mem) fix.apply(t.source()));
      case Instruction.IndirectBranch ib -> new Instruction.IndirectBranch(ib.call(), fix.apply(ib.target()));
      case Instruction.FarJumpIndirect f -> new Instruction.FarJumpIndirect(f.size(), (Mem) fix.apply(f.pointer()));
      case Instruction.MovSegment s -> new Instruction.MovSegment(s.toSegment(), s.segment(), fix.apply(s.other()));
      default -> insn;
    };
  }

  /** The instruction an assembler line denotes, with how its values must be encoded. */
  private record Built(Instruction insn, boolean wideImm, boolean wideDisp, Long ripTarget, boolean resolved) {}

  /** Maps mnemonic + operands to an {@link Instruction}, checking the forms the subset has. */
  private final class Translator {
    final InsnStmt in;
    final Expr.Scope scope;
    final boolean strict;
    final int bits;
    final int slot;
    boolean wideImm;
    boolean wideDisp;
    Long ripTarget;
    boolean resolved = true;

    final int index;

    Translator(InsnStmt in, int index, Expr.Scope scope, boolean strict) {
      this.in = in;
      this.index = index;
      this.scope = scope;
      this.strict = strict;
      this.bits = in.bits();
      this.slot = bits / 8;
    }

    AssemblyException error(String why) {
      return new AssemblyException(in.line(), in.column(), why);
    }

    AssemblyException error(Op op, String why) {
      return new AssemblyException(in.line(), op.column(), why);
    }

    Built build() {
      Instruction insn = translate();
      if (in.rep() && !(insn instanceof Instruction.StringOp)) {
        throw error("rep applies only to movs/stos");
      }
      return new Built(insn, wideImm, wideDisp, ripTarget, resolved);
    }

    /** A value GNU as cannot fix in its first pass: it takes the 32-bit form. */
    boolean symbolic(Expr e) {
      List<String> names = new ArrayList<>();
      collectLabels(e, names);
      return !names.isEmpty() && !fixedAtParse(names, in.frag(), index);
    }

    long eval(Expr e) {
      if (!strict && e.usesLabel(constants)) {
        resolved &= allDefined(e);
      }
      return e.eval(scope);
    }

    boolean allDefined(Expr e) {
      return switch (e) {
        case Expr.Num n -> true;
        case Expr.Sym s -> s.name().equals(".") || labels.containsKey(s.name())
            || (constants.containsKey(s.name()) && allDefined(constants.get(s.name())));
        case Expr.Unary u -> allDefined(u.operand());
        case Expr.Binary b -> allDefined(b.left()) && allDefined(b.right());
      };
    }

    void arity(int n) {
      if (in.ops().size() != n) {
        throw error(in.mnemonic() + " takes " + n + " operand" + (n == 1 ? "" : "s") + ", got " + in.ops().size());
      }
    }

    Operand value(Op op) {
      return switch (op) {
        case RegOp r -> r.reg();
        case ImmOp i -> {
          wideImm |= symbolic(i.value());
          yield new Imm(eval(i.value()));
        }
        case MemOp m -> mem(m);
        default -> throw error(op, "operand not allowed here");
      };
    }

    Mem mem(MemOp m) {
      long disp = m.disp() == null ? 0 : eval(m.disp());
      boolean symbolic = m.disp() != null && symbolic(m.disp());
      if (m.base() == Mem.RIP) {
        if (bits != 64) {
          throw error(m, "%rip addressing exists only in 64-bit mode");
        }
        if (m.index() != Mem.NONE) {
          throw error(m, "%rip cannot be combined with an index");
        }
        if (symbolic) {
          ripTarget = disp; // sym(%rip) means the displacement to sym
          disp = 0;
        }
        return new Mem(null, Mem.RIP, Mem.NONE, 1, disp);
      }
      int want = bits / 8;
      if ((m.base() != Mem.NONE && m.baseSize() != want) || (m.index() != Mem.NONE && m.indexSize() != want)) {
        throw error(m, "address registers must be " + bits + "-bit in " + bits + "-bit code");
      }
      if (bits == 32 && (m.base() >= 8 || m.index() >= 8)) {
        throw error(m, "r8-r15 exist only in 64-bit mode");
      }
      wideDisp |= symbolic;
      if (bits == 32) {
        disp = (int) disp;
      }
      return new Mem(null, m.base(), m.index(), m.scale(), disp);
    }

    Mem memOnly(Op op) {
      if (op instanceof MemOp m) {
        return mem(m);
      }
      throw error(op, "needs a memory operand");
    }

    /** Operand size from registers and the suffix; registers must agree. */
    int size(String suffix, Op... ops) {
      int fromRegs = 0;
      for (Op op : ops) {
        if (op instanceof RegOp r) {
          if (fromRegs != 0 && fromRegs != r.reg().size()) {
            throw error(op, "operand size mismatch");
          }
          fromRegs = r.reg().size();
        }
      }
      int fromSuffix = switch (suffix) {
        case "b" -> 1;
        case "w" -> 2;
        case "l" -> 4;
        case "q" -> 8;
        case "" -> 0;
        default -> throw error("suffix " + suffix + " is outside the subset");
      };
      if (fromSuffix != 0 && fromRegs != 0 && fromSuffix != fromRegs) {
        throw error("suffix " + suffix + " does not match the register operands");
      }
      int size = fromRegs != 0 ? fromRegs : fromSuffix;
      if (size == 0) {
        throw error("no instruction mnemonic suffix given and no register operands");
      }
      if (size == 8 && bits != 64) {
        throw error("64-bit operands exist only in 64-bit mode");
      }
      return size;
    }

    int slotSize(String suffix) {
      if (suffix.isEmpty()) {
        return slot;
      }
      int s = suffix.equals("q") ? 8 : suffix.equals("l") ? 4 : -1;
      if (s != slot) {
        throw error("invalid instruction suffix for " + in.mnemonic() + " in " + bits + "-bit mode");
      }
      return s;
    }

    /** Splits off an l/q suffix when the bare name is one of {@code bases}. */
    String[] split(String mn, String... bases) {
      for (String b : bases) {
        if (mn.equals(b)) {
          return new String[] {b, ""};
        }
      }
      for (String b : bases) {
        if (mn.length() == b.length() + 1 && mn.startsWith(b)) {
          return new String[] {b, mn.substring(b.length())};
        }
      }
      return null;
    }

    Instruction translate() {
      String mn = in.mnemonic();
      List<Op> ops = in.ops();
      SimpleOp simple = switch (mn) {
        case "nop" -> SimpleOp.NOP;
        case "hlt" -> SimpleOp.HLT;
        case "int3" -> SimpleOp.INT3;
        case "cld" -> SimpleOp.CLD;
        case "std" -> SimpleOp.STD;
        case "wbinvd" -> SimpleOp.WBINVD;
        case "ud2" -> SimpleOp.UD2;
        case "rdmsr" -> SimpleOp.RDMSR;
        case "wrmsr" -> SimpleOp.WRMSR;
        case "cpuid" -> SimpleOp.CPUID;
        default -> null;
      };
      if (simple != null && !(simple == SimpleOp.NOP && ops.size() == 1)) {
        arity(0);
        return new Instruction.Simple(simple);
      }
      if (mn.equals("nop") || mn.equals("nopw") || mn.equals("nopl") || mn.equals("nopq")) {
        arity(1);
        int size = size(mn.substring(3), ops.get(0));
        Operand t = value(ops.get(0));
        if (t instanceof Imm || size == 1) {
          throw error(ops.get(0), "nop takes a 16-, 32- or 64-bit register or memory operand");
        }
        return new Instruction.Nop(size, t);
      }
      switch (mn) {
        case "movsb", "movsw", "movsl", "movsq", "stosb", "stosw", "stosl", "stosq" -> {
          arity(0);
          int size = switch (mn.charAt(4)) {
            case 'b' -> 1;
            case 'w' -> 2;
            case 'l' -> 4;
            default -> 8;
          };
          if (size == 8 && bits != 64) {
            throw error(mn + " exists only in 64-bit mode");
          }
          return new Instruction.StringOp(mn.startsWith("movs"), size, in.rep());
        }
        case "ret", "retq", "retl" -> {
          arity(0);
          slotSize(mn.substring(3));
          return new Instruction.Ret();
        }
        case "iret", "iretl", "iretq" -> {
          arity(0);
          if (mn.equals("iretq") && bits != 64) {
            throw error("iretq exists only in 64-bit mode");
          }
          return new Instruction.Iret(mn.equals("iretq") ? 8 : 4);
        }
        case "lret", "lretl", "lretq" -> {
          arity(0);
          if (mn.equals("lretq") && bits != 64) {
            throw error("lretq exists only in 64-bit mode");
          }
          return new Instruction.FarReturn(mn.equals("lretq") ? 8 : 4);
        }
        case "pushf", "pushfl", "pushfq", "popf", "popfl", "popfq" -> {
          arity(0);
          boolean push = mn.startsWith("push");
          slotSize(mn.substring(push ? 5 : 4));
          return new Instruction.Flags(push, slot);
        }
        case "lgdt", "lgdtl", "lgdtq", "lidt", "lidtl", "lidtq" -> {
          arity(1);
          String sfx = mn.substring(4);
          if (!sfx.isEmpty() && !sfx.equals(bits == 64 ? "q" : "l")) {
            throw error("invalid instruction suffix for " + mn.substring(0, 4) + " in " + bits + "-bit mode");
          }
          return new Instruction.LoadTable(mn.startsWith("lidt"), memOnly(ops.get(0)));
        }
        case "ljmp", "ljmpl" -> {
          if (ops.size() == 2 && ops.get(0) instanceof ImmOp sel && ops.get(1) instanceof ImmOp off) {
            if (bits == 64) {
              throw error("ljmp $sel,$offset does not exist in 64-bit mode");
            }
            long s = eval(sel.value());
            if (s < 0 || s > 0xFFFF) {
              throw error(sel, "selector does not fit 16 bits");
            }
            long o = eval(off.value());
            if (o < Integer.MIN_VALUE || o > 0xFFFF_FFFFL) {
              throw error(off, "offset does not fit 32 bits");
            }
            return new Instruction.FarJump((int) s, o & 0xFFFF_FFFFL);
          }
          arity(1);
          if (ops.get(0) instanceof IndirectOp ind) {
            return new Instruction.FarJumpIndirect(4, memOnly(ind.target())); // GNU as rejects ljmpq
          }
          throw error("ljmp needs $selector,$offset or *memory");
        }
        case "jmp", "jmpq", "jmpl", "call", "callq", "calll" -> {
          arity(1);
          boolean call = mn.startsWith("call");
          String sfx = mn.substring(call ? 4 : 3);
          Op op = ops.get(0);
          if (op instanceof IndirectOp ind) {
            slotSize(sfx);
            Operand t = value(ind.target());
            if (t instanceof Gpr g && g.size() != slot) {
              throw error(op, "indirect branch register must be " + bits + "-bit");
            }
            return new Instruction.IndirectBranch(call, t);
          }
          if (!sfx.isEmpty()) {
            slotSize(sfx);
          }
          return new Instruction.Branch(call ? BranchKind.CALL : BranchKind.JMP, null, target(op));
        }
        default -> {}
      }
      if (mn.startsWith("j")) {
        Condition c = Condition.parse(mn.substring(1));
        if (c != null) {
          arity(1);
          return new Instruction.Branch(BranchKind.JCC, c, target(ops.get(0)));
        }
      }
      String[] p;
      if ((p = split(mn, "push", "pop")) != null) {
        arity(1);
        int size = slotSize(p[1]);
        Op op = ops.get(0);
        if (p[0].equals("push")) {
          if (op instanceof RegOp r || op instanceof ImmOp) {
            Operand v = value(op);
            if (v instanceof Gpr g && g.size() != slot) {
              throw error(op, "push of a " + g.size() * 8 + "-bit register in " + bits + "-bit mode");
            }
            if (v instanceof Imm i && (i.value() < Integer.MIN_VALUE || i.value() > (bits == 32 ? 0xFFFF_FFFFL : Integer.MAX_VALUE))) {
              throw error(op, "immediate does not fit a sign-extended 32-bit field");
            }
            return new Instruction.Push(size, v instanceof Imm i && bits == 32 ? new Imm((int) i.value()) : v);
          }
          throw error(op, "push takes a register or an immediate in this subset");
        }
        if (op instanceof RegOp r && r.reg().size() == slot) {
          return new Instruction.Pop(size, r.reg());
        }
        throw error(op, "pop takes a " + bits + "-bit register in this subset");
      }
      if ((p = split(mn, "movabs")) != null) {
        arity(2);
        if (ops.get(0) instanceof ImmOp imm && ops.get(1) instanceof RegOp r && r.reg().size() == 8 && bits == 64) {
          if (!p[1].isEmpty() && !p[1].equals("q")) {
            throw error("invalid suffix for movabs");
          }
          wideImm = true;
          return new Instruction.MovAbs(r.reg(), eval(imm.value()));
        }
        throw error("movabs takes $imm64,%reg64 in this subset");
      }
      if ((p = split(mn, "mov")) != null) {
        arity(2);
        return mov(p[1], ops.get(0), ops.get(1));
      }
      if ((p = split(mn, "lea")) != null) {
        arity(2);
        if (ops.get(1) instanceof RegOp r) {
          int size = size(p[1], r);
          return new Instruction.Lea(size, r.reg(), memOnly(ops.get(0)));
        }
        throw error("lea needs a register destination");
      }
      if ((p = split(mn, "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test")) != null) {
        arity(2);
        AluOp op = AluOp.valueOf(p[0].toUpperCase(Locale.ROOT));
        int size = size(p[1], ops.get(0), ops.get(1));
        Operand src = value(ops.get(0));
        Operand dst = value(ops.get(1));
        if (dst instanceof Imm) {
          throw error(ops.get(1), "destination cannot be an immediate");
        }
        if (src instanceof Mem && dst instanceof Mem) {
          throw error("too many memory references");
        }
        if (op == AluOp.TEST && src instanceof Mem m && dst instanceof Gpr g) {
          return new Instruction.Alu(op, size, m, g); // GNU as accepts either order for test
        }
        return new Instruction.Alu(op, size, dst, immFor(size, src, ops.get(0)));
      }
      if ((p = split(mn, "inc", "dec")) != null) {
        arity(1);
        int size = size(p[1], ops.get(0));
        Operand t = value(ops.get(0));
        if (t instanceof Imm) {
          throw error(ops.get(0), "cannot increment an immediate");
        }
        return new Instruction.IncDec(p[0].equals("inc"), size, t);
      }
      if ((p = split(mn, "shl", "shr", "sal", "sar", "rol", "ror", "rcl", "rcr")) != null) {
        if (ops.size() == 1) {
          int size = size(p[1], ops.get(0));
          return new Instruction.Shift(ShiftOp.parse(p[0]), size, shiftTarget(ops.get(0)), 1);
        }
        arity(2);
        if (ops.get(0) instanceof RegOp r && r.reg().equals(new Gpr(Gpr.RCX, 1))) {
          int size = size(p[1], ops.get(1));
          return new Instruction.Shift(ShiftOp.parse(p[0]), size, shiftTarget(ops.get(1)), 0, true);
        }
        if (!(ops.get(0) instanceof ImmOp count)) {
          throw error(ops.get(0), "shift count must be an immediate or %cl");
        }
        int size = size(p[1], ops.get(1));
        long n = eval(count.value());
        if (n < 0 || n > 255) {
          throw error(count, "shift count " + n + " does not fit imm8");
        }
        return new Instruction.Shift(ShiftOp.parse(p[0]), size, shiftTarget(ops.get(1)), (int) n);
      }
      throw error("unknown mnemonic " + mn);
    }

    Operand shiftTarget(Op op) {
      Operand t = value(op);
      if (t instanceof Imm) {
        throw error(op, "cannot shift an immediate");
      }
      return t;
    }

    /** An 8- or 16-bit immediate, which GNU as takes signed or unsigned; kept zero-extended as the decoder gives it. */
    Imm narrowImm(Imm i, int size, Op op) {
      long v = i.value();
      long min = -(1L << (8 * size - 1));
      long max = (1L << (8 * size)) - 1;
      if (v < min || v > max) {
        throw error(op, String.format("value 0x%x does not fit %d bits", v, 8 * size));
      }
      return new Imm(v & max);
    }

    /** Range-checks an immediate for a {@code size}-byte operation; 32-bit values are kept sign-extended. */
    Operand immFor(int size, Operand src, Op op) {
      if (src instanceof Imm i && size <= 2) {
        return narrowImm(i, size, op);
      }
      if (src instanceof Imm i) {
        long v = i.value();
        if (size == 4) {
          if (v < Integer.MIN_VALUE || v > 0xFFFF_FFFFL) {
            throw error(op, String.format("value 0x%x does not fit 32 bits", v));
          }
          return new Imm((int) v);
        }
        if (!Encoder.fitsS32(v)) {
          throw error(op, String.format("value 0x%x does not fit a sign-extended 32-bit immediate", v));
        }
      }
      return src;
    }

    long target(Op op) {
      if (op instanceof MemOp m && m.bare()) {
        if (!m.disp().usesLabel(constants)) {
          throw error(op, "branch targets must be labels in this subset");
        }
        long t = eval(m.disp());
        return bits == 32 ? t & 0xFFFF_FFFFL : t;
      }
      throw error(op, "branch needs a label (or * for an indirect branch)");
    }

    Instruction mov(String sfx, Op src, Op dst) {
      if (dst instanceof CrOp cr || src instanceof CrOp) {
        boolean to = dst instanceof CrOp;
        CrOp c = (CrOp) (to ? dst : src);
        Op other = to ? src : dst;
        if (!(other instanceof RegOp r) || r.reg().size() != slot) {
          throw error(other, "control-register moves need a " + bits + "-bit register");
        }
        if (!sfx.isEmpty()) {
          slotSize(sfx);
        }
        if (c.number() != 0 && c.number() != 2 && c.number() != 3 && c.number() != 4) {
          throw error(c, "%cr" + c.number() + " is outside the subset");
        }
        if (r.reg().extended() && bits != 64) {
          throw error(other, "r8-r15 exist only in 64-bit mode");
        }
        return new Instruction.MovControl(to, c.number(), r.reg());
      }
      if (dst instanceof SegOp || src instanceof SegOp) {
        boolean to = dst instanceof SegOp;
        SegOp s = (SegOp) (to ? dst : src);
        Op other = to ? src : dst;
        if (other instanceof ImmOp || other instanceof SegOp || other instanceof CrOp) {
          throw error(other, "segment moves take a register or memory operand");
        }
        if (to && s.seg() == Segment.CS) {
          throw error(s, "mov to %cs is invalid");
        }
        if (other instanceof MemOp && !sfx.isEmpty() && !sfx.equals("w")) {
          throw error("segment moves to or from memory take no suffix but w");
        }
        if (other instanceof RegOp r && r.reg().extended() && bits != 64) {
          throw error(other, "r8-r15 exist only in 64-bit mode");
        }
        Operand o = value(other);
        if (o instanceof Gpr g) {
          if (g.size() == 1) {
            throw error(other, "segment moves take a 16-, 32- or 64-bit register");
          }
          // GNU as drops REX.W (and 66 for a source): the register is used at 16 bits anyway;
          // only a 16-bit destination keeps 66, which leaves the upper bits alone
          o = new Gpr(g.number(), !to && g.size() == 2 ? 2 : 4);
        }
        return new Instruction.MovSegment(to, s.seg(), o);
      }
      int size = size(sfx, src, dst);
      Operand s = value(src);
      Operand d = value(dst);
      if (d instanceof Imm) {
        throw error(dst, "destination cannot be an immediate");
      }
      if (s instanceof Mem && d instanceof Mem) {
        throw error("too many memory references");
      }
      if (s instanceof Imm i && size == 8 && d instanceof Gpr g && !Encoder.fitsS32(i.value())) {
        return new Instruction.MovAbs(g, i.value()); // GNU as switches to movabs by itself
      }
      if (s instanceof Imm i && size == 4) {
        if (i.value() < Integer.MIN_VALUE || i.value() > 0xFFFF_FFFFL) {
          throw error(src, String.format("value 0x%x does not fit 32 bits", i.value()));
        }
        s = new Imm(d instanceof Gpr ? i.value() & 0xFFFF_FFFFL : i.value() & 0xFFFF_FFFFL);
      }
      if (s instanceof Imm i && size == 8 && !Encoder.fitsS32(i.value())) {
        throw error(src, String.format("value 0x%x does not fit a sign-extended 32-bit immediate", i.value()));
      }
      if (s instanceof Imm i && size <= 2) {
        s = narrowImm(i, size, src);
      }
      return new Instruction.Mov(size, d, s);
    }
  }
}
