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
  private final OperandResolver res;
  private final InsnStmt in;
  private final int bits;
  private final int slot;

  MnemonicTable(SymbolTable symbols, InsnStmt in, int index, Expr.Scope scope, boolean strict) {
    this.res = new OperandResolver(symbols, in, index, scope, strict);
    this.in = in;
    this.bits = in.bits();
    this.slot = bits / 8;
  }

  Built build() {
    Instruction insn = translate();
    if (in.rep() && !(insn instanceof Instruction.StringOp)) {
      throw res.error("rep applies only to movs/stos");
    }
    return new Built(insn, res.wideImm, res.wideDisp, res.ripTarget, res.resolved);
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
      case "syscall" -> SimpleOp.SYSCALL;
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
      res.arity(0);
      return new Instruction.Simple(simple);
    }
    if (mn.equals("nop") || mn.equals("nopw") || mn.equals("nopl") || mn.equals("nopq")) {
      res.arity(1);
      int size = res.size(mn.substring(3), ops.get(0));
      Operand t = res.value(ops.get(0));
      if (t instanceof Imm || size == 1) {
        throw res.error(ops.get(0), "nop takes a 16-, 32- or 64-bit register or memory operand");
      }
      return new Instruction.Nop(size, t);
    }
    switch (mn) {
      case "int" -> {
        res.arity(1);
        if (!(res.value(ops.get(0)) instanceof Imm v) || v.value() < 0 || v.value() > 255) {
          throw res.error(ops.get(0), "int takes an immediate vector 0..255");
        }
        // GNU as writes "int $3" as the one-byte int3 (CC), not CD 03
        return v.value() == 3 ? new Instruction.Simple(SimpleOp.INT3) : new Instruction.Int((int) v.value());
      }
      case "movsb", "movsw", "movsl", "movsq", "stosb", "stosw", "stosl", "stosq" -> {
        res.arity(0);
        int size = switch (mn.charAt(4)) {
          case 'b' -> 1;
          case 'w' -> 2;
          case 'l' -> 4;
          default -> 8;
        };
        if (size == 8 && bits != 64) {
          throw res.error(mn + " exists only in 64-bit mode");
        }
        return new Instruction.StringOp(mn.startsWith("movs"), size, in.rep());
      }
      case "ret", "retq", "retl" -> {
        res.arity(0);
        res.slotSize(mn.substring(3));
        return new Instruction.Ret();
      }
      case "iret", "iretl", "iretq" -> {
        res.arity(0);
        if (mn.equals("iretq") && bits != 64) {
          throw res.error("iretq exists only in 64-bit mode");
        }
        return new Instruction.Iret(mn.equals("iretq") ? 8 : 4);
      }
      case "lret", "lretl", "lretq" -> {
        res.arity(0);
        if (mn.equals("lretq") && bits != 64) {
          throw res.error("lretq exists only in 64-bit mode");
        }
        return new Instruction.FarReturn(mn.equals("lretq") ? 8 : 4);
      }
      case "pushf", "pushfl", "pushfq", "popf", "popfl", "popfq" -> {
        res.arity(0);
        boolean push = mn.startsWith("push");
        res.slotSize(mn.substring(push ? 5 : 4));
        return new Instruction.Flags(push, slot);
      }
      case "invlpg" -> {
        res.arity(1);
        return new Instruction.Invlpg(res.memOnly(ops.get(0)));
      }
      case "lgdt", "lgdtl", "lgdtq", "lidt", "lidtl", "lidtq" -> {
        res.arity(1);
        String sfx = mn.substring(4);
        if (!sfx.isEmpty() && !sfx.equals(bits == 64 ? "q" : "l")) {
          throw res.error("invalid instruction suffix for " + mn.substring(0, 4) + " in " + bits + "-bit mode");
        }
        return new Instruction.LoadTable(mn.startsWith("lidt"), res.memOnly(ops.get(0)));
      }
      case "ljmp", "ljmpl" -> {
        if (ops.size() == 2 && ops.get(0) instanceof ImmOp sel && ops.get(1) instanceof ImmOp off) {
          if (bits == 64) {
            throw res.error("ljmp $sel,$offset does not exist in 64-bit mode");
          }
          long s = res.eval(sel.value());
          if (s < 0 || s > 0xFFFF) {
            throw res.error(sel, "selector does not fit 16 bits");
          }
          long o = res.eval(off.value());
          if (o < Integer.MIN_VALUE || o > 0xFFFF_FFFFL) {
            throw res.error(off, "offset does not fit 32 bits");
          }
          return new Instruction.FarJump((int) s, o & 0xFFFF_FFFFL);
        }
        res.arity(1);
        if (ops.get(0) instanceof IndirectOp ind) {
          return new Instruction.FarJumpIndirect(4, res.memOnly(ind.target())); // GNU as rejects ljmpq
        }
        throw res.error("ljmp needs $selector,$offset or *memory");
      }
      case "jmp", "jmpq", "jmpl", "call", "callq", "calll" -> {
        res.arity(1);
        boolean call = mn.startsWith("call");
        String sfx = mn.substring(call ? 4 : 3);
        SourceOperand op = ops.get(0);
        if (op instanceof IndirectOp ind) {
          res.slotSize(sfx);
          Operand t = res.value(ind.target());
          if (t instanceof Gpr g && g.size() != slot) {
            throw res.error(op, "indirect branch register must be " + bits + "-bit");
          }
          return new Instruction.IndirectBranch(call, t);
        }
        if (!sfx.isEmpty()) {
          res.slotSize(sfx);
        }
        return new Instruction.Branch(call ? BranchKind.CALL : BranchKind.JMP, null, res.target(op));
      }
      default -> {}
    }
    if (mn.startsWith("j")) {
      Condition c = Condition.parse(mn.substring(1));
      if (c != null) {
        res.arity(1);
        return new Instruction.Branch(BranchKind.JCC, c, res.target(ops.get(0)));
      }
    }
    String[] p;
    if ((p = split(mn, "push", "pop")) != null) {
      res.arity(1);
      int size = res.slotSize(p[1]);
      SourceOperand op = ops.get(0);
      if (p[0].equals("push")) {
        if (op instanceof RegOp r || op instanceof ImmOp) {
          Operand v = res.value(op);
          if (v instanceof Gpr g && g.size() != slot) {
            throw res.error(op, "push of a " + g.size() * 8 + "-bit register in " + bits + "-bit mode");
          }
          if (v instanceof Imm i && (i.value() < Integer.MIN_VALUE || i.value() > (bits == 32 ? 0xFFFF_FFFFL : Integer.MAX_VALUE))) {
            throw res.error(op, "immediate does not fit a sign-extended 32-bit field");
          }
          return new Instruction.Push(size, v instanceof Imm i && bits == 32 ? new Imm((int) i.value()) : v);
        }
        throw res.error(op, "push takes a register or an immediate in this subset");
      }
      if (op instanceof RegOp r && r.reg().size() == slot) {
        return new Instruction.Pop(size, r.reg());
      }
      throw res.error(op, "pop takes a " + bits + "-bit register in this subset");
    }
    if ((p = split(mn, "movabs")) != null) {
      res.arity(2);
      if (ops.get(0) instanceof ImmOp imm && ops.get(1) instanceof RegOp r && r.reg().size() == 8 && bits == 64) {
        if (!p[1].isEmpty() && !p[1].equals("q")) {
          throw res.error("invalid suffix for movabs");
        }
        res.wideImm = true;
        return new Instruction.MovAbs(r.reg(), res.eval(imm.value()));
      }
      throw res.error("movabs takes $imm64,%reg64 in this subset");
    }
    if ((p = split(mn, "mov")) != null) {
      res.arity(2);
      return mov(p[1], ops.get(0), ops.get(1));
    }
    if ((p = split(mn, "lea")) != null) {
      res.arity(2);
      if (ops.get(1) instanceof RegOp r) {
        int size = res.size(p[1], r);
        return new Instruction.Lea(size, r.reg(), res.memOnly(ops.get(0)));
      }
      throw res.error("lea needs a register destination");
    }
    if ((p = split(mn, "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test")) != null) {
      res.arity(2);
      AluOp op = AluOp.valueOf(p[0].toUpperCase(Locale.ROOT));
      int size = res.size(p[1], ops.get(0), ops.get(1));
      Operand src = res.value(ops.get(0));
      Operand dst = res.value(ops.get(1));
      if (dst instanceof Imm) {
        throw res.error(ops.get(1), "destination cannot be an immediate");
      }
      if (src instanceof Mem && dst instanceof Mem) {
        throw res.error("too many memory references");
      }
      if (op == AluOp.TEST && src instanceof Mem m && dst instanceof Gpr g) {
        return new Instruction.Alu(op, size, m, g); // GNU as accepts either order for test
      }
      return new Instruction.Alu(op, size, dst, res.immFor(size, src, ops.get(0)));
    }
    if ((p = split(mn, "inc", "dec")) != null) {
      res.arity(1);
      int size = res.size(p[1], ops.get(0));
      Operand t = res.value(ops.get(0));
      if (t instanceof Imm) {
        throw res.error(ops.get(0), "cannot increment an immediate");
      }
      return new Instruction.IncDec(p[0].equals("inc"), size, t);
    }
    if ((p = split(mn, "shl", "shr", "sal", "sar", "rol", "ror", "rcl", "rcr")) != null) {
      if (ops.size() == 1) {
        int size = res.size(p[1], ops.get(0));
        return new Instruction.Shift(ShiftOp.parse(p[0]), size, res.shiftTarget(ops.get(0)), 1);
      }
      res.arity(2);
      if (ops.get(0) instanceof RegOp r && r.reg().equals(new Gpr(Gpr.RCX, 1))) {
        int size = res.size(p[1], ops.get(1));
        return new Instruction.Shift(ShiftOp.parse(p[0]), size, res.shiftTarget(ops.get(1)), 0, true);
      }
      if (!(ops.get(0) instanceof ImmOp count)) {
        throw res.error(ops.get(0), "shift count must be an immediate or %cl");
      }
      int size = res.size(p[1], ops.get(1));
      long n = res.eval(count.value());
      if (n < 0 || n > 255) {
        throw res.error(count, "shift count " + n + " does not fit imm8");
      }
      return new Instruction.Shift(ShiftOp.parse(p[0]), size, res.shiftTarget(ops.get(1)), (int) n);
    }
    throw res.error("unknown mnemonic " + mn);
  }


  Instruction mov(String sfx, SourceOperand src, SourceOperand dst) {
    if (dst instanceof CrOp cr || src instanceof CrOp) {
      boolean to = dst instanceof CrOp;
      CrOp c = (CrOp) (to ? dst : src);
      SourceOperand other = to ? src : dst;
      if (!(other instanceof RegOp r) || r.reg().size() != slot) {
        throw res.error(other, "control-register moves need a " + bits + "-bit register");
      }
      if (!sfx.isEmpty()) {
        res.slotSize(sfx);
      }
      if (c.number() != 0 && c.number() != 2 && c.number() != 3 && c.number() != 4) {
        throw res.error(c, "%cr" + c.number() + " is outside the subset");
      }
      if (r.reg().extended() && bits != 64) {
        throw res.error(other, "r8-r15 exist only in 64-bit mode");
      }
      return new Instruction.MovControl(to, c.number(), r.reg());
    }
    if (dst instanceof SegOp || src instanceof SegOp) {
      boolean to = dst instanceof SegOp;
      SegOp s = (SegOp) (to ? dst : src);
      SourceOperand other = to ? src : dst;
      if (other instanceof ImmOp || other instanceof SegOp || other instanceof CrOp) {
        throw res.error(other, "segment moves take a register or memory operand");
      }
      if (to && s.seg() == Segment.CS) {
        throw res.error(s, "mov to %cs is invalid");
      }
      if (other instanceof MemOp && !sfx.isEmpty() && !sfx.equals("w")) {
        throw res.error("segment moves to or from memory take no suffix but w");
      }
      if (other instanceof RegOp r && r.reg().extended() && bits != 64) {
        throw res.error(other, "r8-r15 exist only in 64-bit mode");
      }
      Operand o = res.value(other);
      if (o instanceof Gpr g) {
        if (g.size() == 1) {
          throw res.error(other, "segment moves take a 16-, 32- or 64-bit register");
        }
        // GNU as drops REX.W (and 66 for a source): the register is used at 16 bits anyway;
        // only a 16-bit destination keeps 66, which leaves the upper bits alone
        o = new Gpr(g.number(), !to && g.size() == 2 ? 2 : 4);
      }
      return new Instruction.MovSegment(to, s.seg(), o);
    }
    int size = res.size(sfx, src, dst);
    Operand s = res.value(src);
    Operand d = res.value(dst);
    if (d instanceof Imm) {
      throw res.error(dst, "destination cannot be an immediate");
    }
    if (s instanceof Mem && d instanceof Mem) {
      throw res.error("too many memory references");
    }
    if (s instanceof Imm i && size == 8 && d instanceof Gpr g && !Encoder.fitsS32(i.value())) {
      return new Instruction.MovAbs(g, i.value()); // GNU as switches to movabs by itself
    }
    if (s instanceof Imm i && size == 4) {
      if (i.value() < Integer.MIN_VALUE || i.value() > 0xFFFF_FFFFL) {
        throw res.error(src, String.format("value 0x%x does not fit 32 bits", i.value()));
      }
      s = new Imm(d instanceof Gpr ? i.value() & 0xFFFF_FFFFL : i.value() & 0xFFFF_FFFFL);
    }
    if (s instanceof Imm i && size == 8 && !Encoder.fitsS32(i.value())) {
      throw res.error(src, String.format("value 0x%x does not fit a sign-extended 32-bit immediate", i.value()));
    }
    if (s instanceof Imm i && size <= 2) {
      s = res.narrowImm(i, size, src);
    }
    return new Instruction.Mov(size, d, s);
  }

  /** The instruction an assembler line denotes, with how its values must be encoded. */
  record Built(Instruction insn, boolean wideImm, boolean wideDisp, Long ripTarget, boolean resolved) {}
}
