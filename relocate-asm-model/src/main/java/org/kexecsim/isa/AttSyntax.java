package org.kexecsim.isa;

/** Formats instructions in AT&T syntax, close to what objdump -d prints for the same bytes. */
public final class AttSyntax {
  private final int bits;

  private AttSyntax(int bits) {
    this.bits = bits;
  }

  /** Formats {@code insn} decoded from {@code bits}-bit code at {@code address}. */
  public static String format(Instruction insn, long address, int length, int bits) {
    return new AttSyntax(bits).render(insn, address, length);
  }

  /** The instruction as objdump would show it; RIP-relative operands get the absolute target as a comment. */
  private String render(Instruction insn, long address, int length) {
    return switch (insn) {
      case Instruction.Mov m -> line(suffixed("mov", m.size(), m.dst(), m.src()), m.src(), m.dst());
      case Instruction.MovAbs m -> line("movabs", new Imm(m.value()), m.dst());
      case Instruction.Alu a -> line(suffixed(a.op().mnemonic(), a.size(), a.dst(), a.src()), a.src(), a.dst());
      case Instruction.IncDec i -> line(suffixed(i.increment() ? "inc" : "dec", i.size(), i.target(), null), i.target());
      case Instruction.Shift s -> {
        String mn = suffixed(s.op().mnemonic(), s.size(), s.target(), null);
        if (s.byCl()) {
          yield line(mn, new Gpr(Gpr.RCX, 1), s.target());
        }
        yield s.count() == 1 ? line(mn, s.target()) : line(mn, new Imm(s.count()), s.target());
      }
      case Instruction.Lea l -> line("lea", l.src(), l.dst());
      case Instruction.Push p -> line("push", p.src());
      case Instruction.Pop p -> line("pop", p.dst());
      case Instruction.Flags f -> f.push() ? "pushf" : "popf";
      case Instruction.MovControl c ->
          c.toControl() ? "mov    " + c.gpr() + ",%cr" + c.control() : "mov    %cr" + c.control() + "," + c.gpr();
      case Instruction.MovSegment s ->
          s.toSegment() ? "mov    " + op(s.other()) + "," + s.segment().att() : "mov    " + s.segment().att() + "," + op(s.other());
      case Instruction.Branch b -> {
        String mn =
            switch (b.kind()) {
              case JMP -> "jmp";
              case CALL -> "call";
              case JCC -> "j" + b.condition().suffix();
            };
        yield String.format("%-6s 0x%x", mn, b.target());
      }
      case Instruction.IndirectBranch ib -> String.format("%-6s *%s", ib.call() ? "call" : "jmp", op(ib.target()));
      case Instruction.Ret r -> "ret";
      case Instruction.FarJump fj -> String.format("ljmp   $0x%x,$0x%x", fj.selector(), fj.offset());
      case Instruction.FarJumpIndirect fj -> String.format("%-6s *%s", fj.size() == 8 ? "ljmpq" : "ljmp", op(fj.pointer()));
      case Instruction.FarReturn fr -> fr.size() == 8 ? "lretq" : "lret";
      case Instruction.Iret ir -> ir.size() == 8 ? "iretq" : "iret";
      case Instruction.LoadTable lt -> line(lt.idt() ? "lidt" : "lgdt", lt.source());
      case Instruction.Invlpg iv -> line("invlpg", iv.target());
      case Instruction.StringOp so -> {
        String sfx = suffix(so.size());
        String body = so.move() ? "movs" + sfx : "stos" + sfx;
        yield so.rep() ? "rep " + body : body;
      }
      case Instruction.Nop n -> line(suffixed("nop", n.size(), n.target(), null), n.target());
      case Instruction.Simple s -> s.op().mnemonic();
      case Instruction.Int i -> line("int", new Imm(i.vector()));
      case Instruction.Undefined u -> "(bad)";
    } + ripComment(insn, address + length);
  }

  private static String ripComment(Instruction insn, long next) {
    Mem m = switch (insn) {
      case Instruction.Mov x -> x.src() instanceof Mem a ? a : x.dst() instanceof Mem b ? b : null;
      case Instruction.Alu x -> x.src() instanceof Mem a ? a : x.dst() instanceof Mem b ? b : null;
      case Instruction.Lea x -> x.src();
      case Instruction.LoadTable x -> x.source();
      case Instruction.Invlpg x -> x.target();
      case Instruction.IndirectBranch x -> x.target() instanceof Mem a ? a : null;
      default -> null;
    };
    return m != null && m.ripRelative() ? String.format("        # 0x%x", next + m.disp()) : "";
  }

  /** A size suffix is needed when no operand is a register (GNU as and objdump agree). */
  private static String suffixed(String mn, int size, Operand a, Operand b) {
    if (a instanceof Gpr || b instanceof Gpr) {
      return mn;
    }
    return mn + suffix(size);
  }

  private static String suffix(int size) {
    return switch (size) {
      case 1 -> "b";
      case 2 -> "w";
      case 4 -> "l";
      default -> "q";
    };
  }

  private String line(String mn, Operand... ops) {
    StringBuilder sb = new StringBuilder(String.format("%-6s ", mn));
    for (int i = 0; i < ops.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(op(ops[i]));
    }
    return sb.toString();
  }

  String op(Operand o) {
    return switch (o) {
      case Gpr g -> g.toString();
      case Imm i -> "$" + hex(i.value());
      case Mem m -> mem(m);
    };
  }

  private static String hex(long v) {
    return v < 0 && v > -0x1_0000_0000L ? "-0x" + Long.toHexString(-v) : "0x" + Long.toHexString(v);
  }

  private String mem(Mem m) {
    StringBuilder sb = new StringBuilder();
    if (m.segment() != null) {
      sb.append(m.segment().att()).append(':');
    }
    boolean hasRegs = m.base() != Mem.NONE || m.index() != Mem.NONE;
    if (!hasRegs) {
      // an absolute address, as objdump prints it: the disp32 is the address in 32-bit code and
      // sign-extended to 64 bits in 64-bit code (SDM Vol. 2A §2.2.1.3), never a negative number
      sb.append("0x").append(Long.toHexString(bits == 64 ? m.disp() : m.disp() & 0xFFFF_FFFFL));
    } else if (m.disp() != 0) {
      sb.append(hex(m.disp()));
    }
    if (hasRegs) {
      sb.append('(');
      if (m.base() == Mem.RIP) {
        sb.append("%rip");
      } else if (m.base() != Mem.NONE) {
        sb.append('%').append(new Gpr(m.base(), bits / 8).name());
      }
      if (m.index() != Mem.NONE) {
        sb.append(",%").append(new Gpr(m.index(), bits / 8).name()).append(',').append(m.scale());
      }
      sb.append(')');
    }
    return sb.toString();
  }
}
