package org.kexecsim.isa;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.isa.SourceOperand.ImmOp;
import org.kexecsim.isa.SourceOperand.MemOp;
import org.kexecsim.isa.SourceOperand.RegOp;
import org.kexecsim.isa.Statement.InsnStmt;

/**
 * Operand values for one instruction statement: registers, immediates and memory operands with
 * their symbols evaluated, the operand size from suffix and registers, range checks, and whether
 * GNU as would take the wide (imm32/disp32) forms because a value depends on an unfixed label.
 */
final class OperandResolver {
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

  OperandResolver(SymbolTable symbols, InsnStmt in, int index, Expr.Scope scope, boolean strict) {
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

  /** A value GNU as cannot fix in its first pass: it takes the 32-bit form. */
  boolean symbolic(Expr e) {
    symbols.atLine(in.line());
    List<String> names = new ArrayList<>();
    symbols.collectLabels(e, names);
    return !names.isEmpty() && !symbols.fixedAtParse(names, in.frag(), index);
  }

  long eval(Expr e) {
    symbols.atLine(in.line());
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
      symbols.atLine(in.line());
      if (!symbols.usesLabel(m.disp())) {
        throw error(op, "branch targets must be labels in this subset");
      }
      long t = eval(m.disp());
      return bits == 32 ? t & 0xFFFF_FFFFL : t;
    }
    throw error(op, "branch needs a label (or * for an indirect branch)");
  }
}
