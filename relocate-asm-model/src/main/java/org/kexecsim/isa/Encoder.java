package org.kexecsim.isa;

import java.io.ByteArrayOutputStream;

/**
 * Instruction → bytes, choosing the encodings GNU as (binutils 2.40, no -O) chooses: the imm8
 * forms (83, 6A) when the value fits a sign-extended byte, the short accumulator forms (05 id)
 * only when it does not, disp8 when the displacement fits, ModRM "store" forms (01, 31, 89) for
 * register-register operations, 40+r INC/DEC in 32-bit code, D1 for shifts by 1, no REX.W for
 * MOV CRn and MOV Sreg.
 *
 * @see <a href="https://sourceware.org/binutils/docs/as/i386_002dDependent.html">GNU as, i386</a>
 */
public final class Encoder {
  private Encoder() {}

  static final int REX = 0x40, REX_W = 0x08, REX_R = 0x04, REX_X = 0x02, REX_B = 0x01;

  /**
   * Encodes {@code insn} for {@code bits}-bit code (32 or 64) placed at {@code address}.
   *
   * @param wideImm use imm32 even where imm8 would fit, and {@code wideDisp} disp32 even where
   *     disp8 would: GNU as does so when a value depends on a label it cannot resolve in its first
   *     pass
   * @param longBranch use rel32 for JMP/Jcc (the relaxed form)
   */
  public static byte[] encode(
      Instruction insn, int bits, long address, boolean wideImm, boolean wideDisp, boolean longBranch) {
    Out o = new Out(bits, wideImm, wideDisp);
    switch (insn) {
      case Instruction.MovAbs m -> {
        o.checkSize(8);
        o.b(REX | REX_W | (m.dst().extended() ? REX_B : 0));
        o.op(0xB8 + (m.dst().number() & 7));
        for (int k = 0; k < 8; k++) {
          o.b((int) (m.value() >>> (8 * k)));
        }
      }
      case Instruction.Mov m -> o.mov(m);
      case Instruction.Alu a -> o.alu(a);
      case Instruction.IncDec i -> {
        o.checkSize(i.size());
        if (bits == 32 && i.target() instanceof Gpr g && i.size() != 1) {
          o.operandSize(i.size());
          o.op((i.increment() ? 0x40 : 0x48) + g.number()); // one-byte forms exist only outside 64-bit mode
        } else {
          o.rm(i.size(), new int[] {i.size() == 1 ? 0xFE : 0xFF}, i.increment() ? 0 : 1, null, i.target());
        }
      }
      case Instruction.Shift s -> {
        o.checkSize(s.size());
        int digit = s.op().digit;
        int narrow = s.size() == 1 ? 1 : 0; // the byte forms are the even opcodes
        if (s.byCl()) {
          o.rm(s.size(), new int[] {0xD3 - narrow}, digit, null, s.target());
        } else if (s.count() == 1) {
          o.rm(s.size(), new int[] {0xD1 - narrow}, digit, null, s.target());
        } else {
          if (s.count() < 0 || s.count() > 255) {
            throw new EncodingException("shift count " + s.count() + " does not fit imm8");
          }
          o.rm(s.size(), new int[] {0xC1 - narrow}, digit, null, s.target());
          o.b(s.count());
        }
      }
      case Instruction.Lea l -> {
        o.checkSize(l.size());
        if (l.size() == 1) {
          throw new EncodingException("lea has no byte form");
        }
        o.rm(l.size(), new int[] {0x8D}, l.dst().field(), l.dst(), l.src());
      }
      case Instruction.Push p -> {
        o.checkStackSlot(p.size());
        switch (p.src()) {
          case Gpr g -> o.shortReg(0x50, g);
          case Imm imm -> {
            if (!wideImm && fitsS8(imm.value())) {
              o.op(0x6A);
              o.b((int) imm.value());
            } else {
              o.op(0x68);
              o.imm32(imm.value(), true);
            }
          }
          case Mem m -> throw new EncodingException("push from memory is outside the subset");
        }
      }
      case Instruction.Pop p -> {
        o.checkStackSlot(p.size());
        o.shortReg(0x58, p.dst());
      }
      case Instruction.Flags f -> {
        o.checkStackSlot(f.size());
        o.op(f.push() ? 0x9C : 0x9D);
      }
      case Instruction.MovControl c -> {
        if (c.control() != 0 && c.control() != 2 && c.control() != 3 && c.control() != 4) {
          throw new EncodingException("%cr" + c.control() + " is outside the subset");
        }
        o.checkStackSlot(c.gpr().size()); // CR moves use the mode's full width
        o.rm(false, new int[] {0x0F, c.toControl() ? 0x22 : 0x20}, c.control(), c.gpr());
      }
      case Instruction.MovSegment s -> {
        if (s.toSegment() && s.segment() == Segment.CS) {
          throw new EncodingException("mov to %cs is invalid (use ljmp)");
        }
        if (s.other() instanceof Imm) {
          throw new EncodingException("mov of an immediate to a segment register does not exist");
        }
        if (s.other() instanceof Gpr g) {
          o.checkReg(g);
          if (g.size() == 1) {
            throw new EncodingException("segment moves take a 16-, 32- or 64-bit register");
          }
        }
        // GNU as adds 66 only for a 16-bit register destination; 32 and 64 bits both encode without prefix
        int size = !s.toSegment() && s.other() instanceof Gpr g && g.size() == 2 ? 2 : 4;
        o.rm(size, new int[] {s.toSegment() ? 0x8E : 0x8C}, s.segment().ordinal(), null, s.other());
      }
      case Instruction.Branch br -> o.branch(br, address, longBranch);
      case Instruction.IndirectBranch ib -> {
        if (ib.target() instanceof Gpr g) {
          o.checkStackSlot(g.size());
        }
        if (ib.target() instanceof Imm) {
          throw new EncodingException("indirect branch needs a register or memory operand");
        }
        o.rm(false, new int[] {0xFF}, ib.call() ? 2 : 4, ib.target());
      }
      case Instruction.Ret r -> o.op(0xC3);
      case Instruction.FarJump fj -> {
        if (bits == 64) {
          throw new EncodingException("ljmp $sel,$offset does not exist in 64-bit mode");
        }
        if (fj.selector() < 0 || fj.selector() > 0xFFFF) {
          throw new EncodingException("selector 0x" + Integer.toHexString(fj.selector()) + " does not fit 16 bits");
        }
        o.op(0xEA);
        o.imm32(fj.offset(), false);
        o.b(fj.selector());
        o.b(fj.selector() >>> 8);
      }
      case Instruction.FarJumpIndirect fj -> {
        o.checkSize(fj.size());
        o.rm(fj.size() == 8, new int[] {0xFF}, 5, fj.pointer());
      }
      case Instruction.FarReturn fr -> {
        o.checkSize(fr.size());
        o.rexIf(fr.size() == 8);
        o.op(0xCB);
      }
      case Instruction.Iret ir -> {
        o.checkSize(ir.size());
        o.rexIf(ir.size() == 8);
        o.op(0xCF);
      }
      case Instruction.LoadTable lt -> o.rm(false, new int[] {0x0F, 0x01}, lt.idt() ? 3 : 2, lt.source());
      case Instruction.Invlpg iv -> o.rm(false, new int[] {0x0F, 0x01}, 7, iv.target());
      case Instruction.StringOp so -> {
        o.checkSize(so.size());
        o.operandSize(so.size()); // GNU as puts 66 before REP
        if (so.rep()) {
          o.b(0xF3); // REP precedes REX: REX must be the byte right before the opcode
        }
        o.rexIf(so.size() == 8);
        o.op((so.move() ? 0xA4 : 0xAA) + (so.size() == 1 ? 0 : 1));
      }
      case Instruction.Nop n -> {
        o.checkSize(n.size());
        if (n.size() == 1 || n.target() instanceof Imm) {
          throw new EncodingException("nop takes a 16-, 32- or 64-bit register or memory operand");
        }
        o.rm(n.size(), new int[] {0x0F, 0x1F}, 0, null, n.target());
      }
      case Instruction.Simple s -> {
        switch (s.op()) {
          case NOP -> o.op(0x90);
          case HLT -> o.op(0xF4);
          case INT3 -> o.op(0xCC);
          case SYSCALL -> o.op2(0x05);
          case CLD -> o.op(0xFC);
          case STD -> o.op(0xFD);
          case WBINVD -> o.op2(0x09);
          case UD2 -> o.op2(0x0B);
          case RDMSR -> o.op2(0x32);
          case WRMSR -> o.op2(0x30);
          case CPUID -> o.op2(0xA2);
        }
      }
      case Instruction.Int i -> {
        o.op(0xCD);
        o.b(i.vector());
      }
      case Instruction.Undefined u -> throw new EncodingException("cannot encode: " + u.reason());
    }
    return o.bytes();
  }

  static boolean fitsS8(long v) {
    return v >= -128 && v <= 127;
  }

  static boolean fitsS32(long v) {
    return v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
  }

  private static final class Out {
    final int bits;
    final boolean wideImm;
    final boolean wideDisp;
    final ByteArrayOutputStream buf = new ByteArrayOutputStream(16);

    Out(int bits, boolean wideImm, boolean wideDisp) {
      this.bits = bits;
      this.wideImm = wideImm;
      this.wideDisp = wideDisp;
    }

    byte[] bytes() {
      return buf.toByteArray();
    }

    void b(int v) {
      buf.write(v & 0xFF);
    }

    void op(int v) {
      b(v);
    }

    void op2(int v) {
      b(0x0F);
      b(v);
    }

    void rexIf(boolean w) {
      if (w) {
        b(REX | REX_W);
      }
    }

    void imm32(long v, boolean signed) {
      if (signed ? !fitsS32(v) : (v < Integer.MIN_VALUE || v > 0xFFFF_FFFFL)) {
        throw new EncodingException("value 0x" + Long.toHexString(v) + " does not fit 32 bits");
      }
      for (int i = 0; i < 4; i++) {
        b((int) (v >>> (8 * i)));
      }
    }

    void checkSize(int size) {
      if (size == 8 && bits != 64) {
        throw new EncodingException("64-bit operand size outside 64-bit mode");
      }
      if (size != 1 && size != 2 && size != 4 && size != 8) {
        throw new EncodingException("operand size " + size + " is outside the subset");
      }
    }

    /** push/pop, CR moves, indirect branches: the operand width is the mode's (8 in 64-bit code). */
    void checkStackSlot(int size) {
      if (size != bits / 8) {
        throw new EncodingException(
            (size * 8) + "-bit operand here is not encodable in " + bits + "-bit mode");
      }
    }

    void checkReg(Gpr g) {
      if (bits != 64 && g.needsRex()) {
        throw new EncodingException("%" + g.name() + " exists only in 64-bit mode");
      }
    }

    void operandSize(int size) {
      if (size == 2) {
        b(0x66);
      }
    }

    /** 50+r / 58+r. */
    void shortReg(int base, Gpr g) {
      checkReg(g);
      if (g.extended()) {
        b(REX | REX_B);
      }
      op(base + (g.number() & 7));
    }

    void mov(Instruction.Mov m) {
      checkSize(m.size());
      int size = m.size();
      int narrow = size == 1 ? 1 : 0;
      if (bits == 32 && moffs(m.src(), m.dst())) {
        operandSize(size);
        op((m.src() instanceof Mem ? 0xA1 : 0xA3) - narrow); // GNU as uses the moffs forms for the accumulator <-> absolute
        imm32(((Mem) (m.src() instanceof Mem ? m.src() : m.dst())).disp(), false);
        return;
      }
      switch (m.src()) {
        case Gpr s when m.dst() instanceof Gpr || m.dst() instanceof Mem -> rm(size, new int[] {0x89 - narrow}, s.field(), s, m.dst());
        case Mem s when m.dst() instanceof Gpr d -> rm(size, new int[] {0x8B - narrow}, d.field(), d, s);
        case Imm i when size <= 2 && m.dst() instanceof Gpr d -> {
          checkReg(d);
          operandSize(size);
          if (d.needsRex()) {
            b(REX | (d.extended() ? REX_B : 0));
          }
          op((size == 1 ? 0xB0 : 0xB8) + (d.field() & 7));
          immN(i.value(), size);
        }
        case Imm i when size <= 2 && m.dst() instanceof Mem d -> {
          rm(size, new int[] {0xC7 - narrow}, 0, null, d);
          immN(i.value(), size);
        }
        case Imm i when m.dst() instanceof Gpr d -> {
          if (m.size() == 4) {
            shortReg(0xB8, d);
            imm32(i.value(), false);
          } else if (fitsS32(i.value())) {
            rm(true, new int[] {0xC7}, 0, d); // sign-extended imm32, as GNU as prefers
            imm32(i.value(), true);
          } else {
            throw new EncodingException("immediate 0x" + Long.toHexString(i.value()) + " needs movabs");
          }
        }
        case Imm i when m.dst() instanceof Mem d -> {
          rm(m.size() == 8, new int[] {0xC7}, 0, d);
          imm32(i.value(), m.size() == 8);
        }
        default -> throw new EncodingException("mov " + m.src() + "," + m.dst() + " is outside the subset");
      }
    }

    static boolean moffs(Operand src, Operand dst) {
      return (src instanceof Gpr g && g.number() == 0 && !g.high() && absolute(dst))
          || (dst instanceof Gpr h && h.number() == 0 && !h.high() && absolute(src));
    }

    /** An 8- or 16-bit immediate; accepts the signed and the unsigned spelling of the value. */
    void immN(long v, int size) {
      long min = -(1L << (8 * size - 1));
      long max = (1L << (8 * size)) - 1;
      if (v < min || v > max) {
        throw new EncodingException("value 0x" + Long.toHexString(v) + " does not fit " + 8 * size + " bits");
      }
      b((int) v);
      if (size == 2) {
        b((int) (v >>> 8));
      }
    }

    static boolean accumulator(Operand o) {
      return o instanceof Gpr g && g.number() == 0 && !g.high();
    }

    static boolean absolute(Operand o) {
      return o instanceof Mem m && m.base() == Mem.NONE && m.index() == Mem.NONE && m.segment() == null;
    }

    void alu(Instruction.Alu a) {
      checkSize(a.size());
      int size = a.size();
      boolean w = size == 8;
      int narrow = size == 1 ? 1 : 0;
      if (a.dst() instanceof Imm) {
        throw new EncodingException("destination cannot be an immediate");
      }
      if (a.op() == AluOp.TEST) {
        switch (a.src()) {
          case Gpr s -> rm(size, new int[] {0x85 - narrow}, s.field(), s, a.dst());
          case Imm i -> {
            if (accumulator(a.dst())) {
              operandSize(size);
              rexIf(w);
              op(0xA9 - narrow);
            } else {
              rm(size, new int[] {0xF7 - narrow}, 0, null, a.dst());
            }
            imm(i.value(), size);
          }
          case Mem s -> {
            if (a.dst() instanceof Gpr d) {
              rm(size, new int[] {0x85 - narrow}, d.field(), d, s); // test is symmetric; GNU as keeps the register in reg
            } else {
              throw new EncodingException("test needs a register operand");
            }
          }
        }
        return;
      }
      int row = a.op().digit * 8;
      switch (a.src()) {
        case Gpr s -> rm(size, new int[] {row + 1 - narrow}, s.field(), s, a.dst());
        case Mem s -> {
          if (!(a.dst() instanceof Gpr d)) {
            throw new EncodingException("two memory operands");
          }
          rm(size, new int[] {row + 3 - narrow}, d.field(), d, s);
        }
        case Imm i -> {
          if (size == 1) {
            if (accumulator(a.dst())) {
              op(row + 4); // AL, imm8
            } else {
              rm(1, new int[] {0x80}, a.op().digit, null, a.dst());
            }
            immN(i.value(), 1);
            return;
          }
          long v = switch (size) {
            case 2 -> (long) (short) i.value();
            case 4 -> (long) (int) i.value();
            default -> i.value();
          };
          if (size == 4 && (i.value() < Integer.MIN_VALUE || i.value() > 0xFFFF_FFFFL)) {
            throw new EncodingException("value 0x" + Long.toHexString(i.value()) + " does not fit 32 bits");
          }
          if (size == 2 && (i.value() < Short.MIN_VALUE || i.value() > 0xFFFF)) {
            throw new EncodingException("value 0x" + Long.toHexString(i.value()) + " does not fit 16 bits");
          }
          if (!wideImm && fitsS8(v)) {
            rm(size, new int[] {0x83}, a.op().digit, null, a.dst());
            b((int) v);
          } else if (accumulator(a.dst())) {
            operandSize(size);
            rexIf(w);
            op(row + 5);
            imm(v, size);
          } else {
            rm(size, new int[] {0x81}, a.op().digit, null, a.dst());
            imm(v, size);
          }
        }
      }
    }

    /** The immediate of an ALU/TEST form: 8 or 16 bits, or 32 bits (sign-extended for 64-bit operands). */
    void imm(long v, int size) {
      if (size <= 2) {
        immN(v, size);
      } else {
        imm32(v, true);
      }
    }

    void branch(Instruction.Branch br, long address, boolean longBranch) {
      boolean shortForm = br.kind() != Instruction.BranchKind.CALL && !longBranch;
      int len =
          switch (br.kind()) {
            case CALL, JMP -> shortForm ? 2 : 5;
            case JCC -> shortForm ? 2 : 6;
          };
      long rel = br.target() - (address + len);
      if (bits == 32) {
        rel = (int) rel;
      }
      if (shortForm) {
        if (!fitsS8(rel)) {
          throw new EncodingException("branch target out of rel8 range");
        }
        op(br.kind() == Instruction.BranchKind.JMP ? 0xEB : 0x70 + br.condition().ordinal());
        b((int) rel);
        return;
      }
      if (!fitsS32(rel)) {
        throw new EncodingException("branch target out of rel32 range");
      }
      switch (br.kind()) {
        case CALL -> op(0xE8);
        case JMP -> op(0xE9);
        case JCC -> op2(0x80 + br.condition().ordinal());
      }
      imm32(rel, true);
    }

    void rm(boolean w, int[] opcode, Gpr reg, Operand rm) {
      rm(w ? 8 : 0, opcode, reg.field(), reg, rm);
    }

    void rm(boolean w, int[] opcode, int reg, Operand rm) {
      rm(w ? 8 : 0, opcode, reg, null, rm);
    }

    /**
     * Prefixes, opcode, ModRM, SIB and displacement for reg field {@code reg} and r/m operand
     * {@code rm}; {@code size} 2 adds 66, 8 sets REX.W (0: neither). {@code regOperand} is the
     * register in the reg field, if any, for the byte-register REX rules (SDM Vol. 2 §2.2.1.2).
     * Prefix order is GNU as's: segment override, 66, REX.
     */
    void rm(int size, int[] opcode, int reg, Gpr regOperand, Operand rm) {
      int rex = size == 8 ? REX_W : 0;
      if (reg >= 8) {
        rex |= REX_R;
      }
      boolean forceRex = false;
      boolean highByte = false;
      if (regOperand != null) {
        checkReg(regOperand);
        forceRex |= regOperand.size() == 1 && regOperand.needsRex();
        highByte |= regOperand.high();
      }
      ByteArrayOutputStream tail = new ByteArrayOutputStream(8);
      switch (rm) {
        case Gpr g -> {
          checkReg(g);
          if (g.extended()) {
            rex |= REX_B;
          }
          forceRex |= g.size() == 1 && g.needsRex();
          highByte |= g.high();
          tail.write(0xC0 | (reg & 7) << 3 | (g.field() & 7));
        }
        case Mem m -> rex |= memory(m, reg & 7, tail);
        case Imm i -> throw new EncodingException("immediate where register or memory is needed");
      }
      if (highByte && (rex != 0 || forceRex)) {
        throw new EncodingException("%ah, %bh, %ch and %dh cannot be used in an instruction that needs a REX prefix");
      }
      if (rm instanceof Mem m && m.segment() != null) {
        b(m.segment().overridePrefix());
      }
      operandSize(size);
      if (rex != 0 || forceRex) {
        if (bits != 64) {
          throw new EncodingException("needs a REX prefix, which exists only in 64-bit mode");
        }
        b(REX | rex);
      }
      for (int x : opcode) {
        b(x);
      }
      buf.writeBytes(tail.toByteArray());
    }

    /** ModRM/SIB/disp for a memory operand (SDM Vol. 2 §2.1.5, Tables 2-2/2-3); returns REX.X|B. */
    int memory(Mem m, int reg, ByteArrayOutputStream t) {
      long disp = m.disp();
      if (bits == 32) {
        if (m.base() >= 8 || m.index() >= 8 || m.ripRelative()) {
          throw new EncodingException("register not addressable in 32-bit mode");
        }
        if (disp < Integer.MIN_VALUE || disp > 0xFFFF_FFFFL) {
          throw new EncodingException("displacement 0x" + Long.toHexString(disp) + " does not fit 32 bits");
        }
        disp = (int) disp;
      } else if (!fitsS32(disp)) {
        throw new EncodingException("displacement 0x" + Long.toHexString(disp) + " does not fit signed 32 bits");
      }
      int rex = 0;
      if (m.ripRelative()) {
        t.write(reg << 3 | 5);
        le32(t, disp);
        return 0;
      }
      if (m.index() >= 8) {
        rex |= REX_X;
      }
      if (m.base() >= 8) {
        rex |= REX_B;
      }
      int ss = Integer.numberOfTrailingZeros(m.scale());
      if (m.base() == Mem.NONE) {
        if (m.index() == Mem.NONE && bits == 32) {
          t.write(reg << 3 | 5); // mod 00 rm 101: disp32 alone
        } else {
          // SIB with base 101 and mod 00: disp32 (+ index); in 64-bit mode rm 101 would be RIP
          t.write(reg << 3 | 4);
          t.write(ss << 6 | ((m.index() == Mem.NONE ? 4 : m.index()) & 7) << 3 | 5);
        }
        le32(t, disp);
        return rex;
      }
      int base = m.base() & 7;
      int mod;
      if (disp == 0 && base != 5 && !wideDisp) {
        mod = 0;
      } else if (fitsS8(disp) && !wideDisp) {
        mod = 1;
      } else {
        mod = 2;
      }
      if (m.index() != Mem.NONE || base == 4) {
        t.write(mod << 6 | reg << 3 | 4);
        t.write(ss << 6 | ((m.index() == Mem.NONE ? 4 : m.index()) & 7) << 3 | base);
      } else {
        t.write(mod << 6 | reg << 3 | base);
      }
      if (mod == 1) {
        t.write((int) disp);
      } else if (mod == 2) {
        le32(t, disp);
      }
      return rex;
    }

    static void le32(ByteArrayOutputStream t, long v) {
      for (int i = 0; i < 4; i++) {
        t.write((int) (v >>> (8 * i)));
      }
    }
  }
}
