package org.kexecsim.isa;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.kexecsim.isa.Instruction.BranchKind;
import org.kexecsim.isa.Instruction.SimpleOp;
import org.kexecsim.isa.SourceOperand.CrOp;
import org.kexecsim.isa.SourceOperand.ImmOp;
import org.kexecsim.isa.SourceOperand.IndirectOp;
import org.kexecsim.isa.SourceOperand.MemOp;
import org.kexecsim.isa.SourceOperand.RegOp;
import org.kexecsim.isa.SourceOperand.SegOp;
import org.kexecsim.isa.Statement.InsnStmt;

/** Maps mnemonic + operands to an {@link Instruction}, checking the forms the subset has. */
final class MnemonicTable {
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

  final SymbolTable symbols;

  MnemonicTable(SymbolTable symbols, InsnStmt in, int index, Expr.Scope scope, boolean strict) {
    this.symbols = symbols;
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

  AssemblyException error(SourceOperand op, String why) {
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
    symbols.collectLabels(e, names);
    return !names.isEmpty() && !symbols.fixedAtParse(names, in.frag(), index);
  }

  long eval(Expr e) {
    if (!strict && symbols.usesLabel(e)) {
      resolved &= symbols.allDefined(e);
    }
    return e.eval(scope);
  }

  void arity(int n) {
    if (in.ops().size() != n) {
      throw error(in.mnemonic() + " takes " + n + " operand" + (n == 1 ? "" : "s") + ", got " + in.ops().size());
    }
  }

  Operand value(SourceOperand op) {
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

  Mem memOnly(SourceOperand op) {
    if (op instanceof MemOp m) {
      return mem(m);
    }
    throw error(op, "needs a memory operand");
  }

  /** Operand size from registers and the suffix; registers must agree. */
  int size(String suffix, SourceOperand... ops) {
    int fromRegs = 0;
    for (SourceOperand op : ops) {
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
    List<SourceOperand> ops = in.ops();
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
        SourceOperand op = ops.get(0);
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
      SourceOperand op = ops.get(0);
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

  Operand shiftTarget(SourceOperand op) {
    Operand t = value(op);
    if (t instanceof Imm) {
      throw error(op, "cannot shift an immediate");
    }
    return t;
  }

  /** An 8- or 16-bit immediate, which GNU as takes signed or unsigned; kept zero-extended as the decoder gives it. */
  Imm narrowImm(Imm i, int size, SourceOperand op) {
    long v = i.value();
    long min = -(1L << (8 * size - 1));
    long max = (1L << (8 * size)) - 1;
    if (v < min || v > max) {
      throw error(op, String.format("value 0x%x does not fit %d bits", v, 8 * size));
    }
    return new Imm(v & max);
  }

  /** Range-checks an immediate for a {@code size}-byte operation; 32-bit values are kept sign-extended. */
  Operand immFor(int size, Operand src, SourceOperand op) {
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

  long target(SourceOperand op) {
    if (op instanceof MemOp m && m.bare()) {
      if (!symbols.usesLabel(m.disp())) {
        throw error(op, "branch targets must be labels in this subset");
      }
      long t = eval(m.disp());
      return bits == 32 ? t & 0xFFFF_FFFFL : t;
    }
    throw error(op, "branch needs a label (or * for an indirect branch)");
  }

  Instruction mov(String sfx, SourceOperand src, SourceOperand dst) {
    if (dst instanceof CrOp cr || src instanceof CrOp) {
      boolean to = dst instanceof CrOp;
      CrOp c = (CrOp) (to ? dst : src);
      SourceOperand other = to ? src : dst;
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
      SourceOperand other = to ? src : dst;
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

  /** The instruction an assembler line denotes, with how its values must be encoded. */
  record Built(Instruction insn, boolean wideImm, boolean wideDisp, Long ripTarget, boolean resolved) {}
}
