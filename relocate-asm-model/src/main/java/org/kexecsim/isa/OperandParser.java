package org.kexecsim.isa;

import java.util.Locale;
import org.kexecsim.isa.SourceOperand.CrOp;
import org.kexecsim.isa.SourceOperand.ImmOp;
import org.kexecsim.isa.SourceOperand.IndirectOp;
import org.kexecsim.isa.SourceOperand.MemOp;
import org.kexecsim.isa.SourceOperand.RegOp;
import org.kexecsim.isa.SourceOperand.SegOp;

/** Parses one AT&T operand: $imm, %reg, %crN, %sreg, *indirect, disp(base,index,scale). */
final class OperandParser {
  private final Cursor c;

  OperandParser(Cursor c) {
    this.c = c;
  }

  SourceOperand operand(int bits) {
    c.skipSpace();
    int st = c.col(c.pos);
    if (c.accept('*')) {
      SourceOperand inner = operand(bits);
      if (inner instanceof ImmOp || inner instanceof IndirectOp) {
        throw new AssemblyException(c.line, st, "bad indirect operand");
      }
      return new IndirectOp(inner, st);
    }
    if (c.accept('$')) {
      return new ImmOp(c.expression(), st);
    }
    if (c.peek() == '%') {
      int save = c.pos;
      c.pos++;
      String name = c.word();
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
          c.skipSpace();
          if (c.peek() == ':') {
            c.pos = save;
            throw c.error("segment override prefixes are outside the assembler's subset");
          }
          return new SegOp(sg, st);
        }
      }
      c.pos = save;
      throw c.error("unknown register %" + name);
    }
    Expr disp = null;
    String afterParen = c.s.substring(Math.min(c.s.length(), c.pos + 1)).stripLeading();
    if (c.peek() != '(' || !(afterParen.startsWith("%") || afterParen.startsWith(","))) {
      disp = c.expression();
      c.skipSpace();
    }
    if (!c.accept('(')) {
      return new MemOp(disp, Mem.NONE, 0, Mem.NONE, 0, 1, true, st);
    }
    int base = Mem.NONE, baseSize = 0, index = Mem.NONE, indexSize = 0, scale = 1;
    c.skipSpace();
    if (c.peek() == '%') {
      c.pos++;
      int rc = c.col(c.pos - 1);
      String name = c.word();
      if ("rip".equalsIgnoreCase(name)) {
        base = Mem.RIP;
        baseSize = 8;
      } else {
        Gpr g = name == null ? null : Gpr.parse(name.toLowerCase(Locale.ROOT));
        if (g == null) {
          throw new AssemblyException(c.line, rc, "bad base register %" + name);
        }
        base = g.number();
        baseSize = g.size();
      }
    }
    c.skipSpace();
    if (c.accept(',')) {
      c.skipSpace();
      int rc = c.col(c.pos);
      if (!c.accept('%')) {
        throw c.error("expected an index register");
      }
      String name = c.word();
      Gpr g = name == null ? null : Gpr.parse(name.toLowerCase(Locale.ROOT));
      if (g == null || g.number() == Gpr.RSP) {
        throw new AssemblyException(c.line, rc, "bad index register %" + name);
      }
      index = g.number();
      indexSize = g.size();
      c.skipSpace();
      if (c.accept(',')) {
        c.skipSpace();
        int sc = c.col(c.pos);
        String n = c.word();
        if (n == null || !(n.equals("1") || n.equals("2") || n.equals("4") || n.equals("8"))) {
          throw new AssemblyException(c.line, sc, "scale must be 1, 2, 4 or 8");
        }
        scale = Integer.parseInt(n);
      }
    }
    c.expect(')');
    return new MemOp(disp, base, baseSize, index, indexSize, scale, false, st);
  }

  // GNU as precedence (as.info "Infix Operators"): unary > (* / % << >>) > (| & ^ !) >
}
