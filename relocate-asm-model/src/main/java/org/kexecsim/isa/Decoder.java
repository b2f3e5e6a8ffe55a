package org.kexecsim.isa;

import org.kexecsim.isa.Instruction.BranchKind;
import org.kexecsim.isa.Instruction.SimpleOp;

/**
 * Bytes → {@link Instruction}, for 32-bit code (protected and compatibility mode) and 64-bit
 * code (SDM Vol. 2 chapter 2 and Appendix A). Anything outside the subset decodes to {@link
 * Instruction.Undefined}, which the CPU executes as #UD. Not thread-safe: one per CPU.
 */
public final class Decoder {
  /** SDM Vol. 2 §2.3.11: an instruction longer than 15 bytes is #GP(0); the model treats it as outside the subset. */
  static final int MAX_LENGTH = 15;

  private ByteSource src;
  private long start;
  private int pos;
  private int bits;
  private int rex;
  private Segment segment;

  public Decoded decode(ByteSource source, long address, int bits) {
    this.src = source;
    this.start = address;
    this.pos = 0;
    this.bits = bits;
    this.rex = 0;
    this.segment = null;
    Instruction insn = decodeInsn();
    return new Decoded(insn, pos);
  }

  /** Decodes {@code code} placed at {@code address}; bytes past the end read as 0. */
  public static Decoded decode(byte[] code, int offset, long address, int bits) {
    return new Decoder().decode(a -> {
      long i = a - address + offset;
      return i >= 0 && i < code.length ? code[(int) i] & 0xFF : 0;
    }, address, bits);
  }

  private int next() {
    if (pos >= MAX_LENGTH) {
      throw new TooLong();
    }
    int b = src.byteAt(bits == 64 ? start + pos : (start + pos) & 0xFFFF_FFFFL);
    pos++;
    return b;
  }

  /** Control flow for the rare over-long instruction, thrown from byte-fetch depth. */
  private static final class TooLong extends RuntimeException {
    TooLong() {
      super("instruction longer than 15 bytes", null, false, false);
    }
  }

  private Instruction decodeInsn() {
    try {
      return decodePrefixed();
    } catch (TooLong e) {
      return undefined("instruction longer than 15 bytes");
    }
  }

  private static Instruction undefined(String why) {
    return new Instruction.Undefined(why);
  }

  /** Operand size: REX.W wins over 66 (SDM Vol. 2 §2.2.1.2), 66 selects 16 bits, else 32. */
  private int opSize() {
    return (rex & 8) != 0 ? 8 : operand16 ? 2 : 4;
  }

  private int slot() {
    return bits / 8;
  }

  private boolean operand16;
  /** Whether a REX prefix (even a bare 40) is present: it changes what byte-register fields name. */
  private boolean rexPresent;

  private Instruction decodePrefixed() {
    boolean rep = false;
    operand16 = false;
    rexPresent = false;
    int op;
    while (true) {
      op = next();
      if (op == 0xF3) {
        rep = true;
        rex = 0;
        rexPresent = false;
      } else if (op == 0x66) {
        operand16 = true;
        rex = 0;
        rexPresent = false;
      } else if (op == 0x67 || op == 0xF2 || op == 0xF0) {
        return undefined(String.format("prefix %02x is outside the subset", op));
      } else if (Segment.ofPrefix(op) != null) {
        segment = Segment.ofPrefix(op);
        rex = 0; // a REX followed by another prefix is ignored (SDM Vol. 2 §2.2.1)
        rexPresent = false;
      } else if (bits == 64 && (op & 0xF0) == 0x40) {
        rex = op;
        rexPresent = true;
      } else {
        break;
      }
    }
    if (rep && op == 0xC3) {
      return new Instruction.Ret(); // "rep ret": the prefix is ignored
    }
    if (rep && op == 0x90) {
      return new Instruction.Simple(SimpleOp.NOP); // F3 90 is PAUSE, a NOP for this model
    }
    if (rep && op != 0xA4 && op != 0xA5 && op != 0xAA && op != 0xAB) {
      return undefined("rep prefix on a non-string instruction");
    }
    if (operand16 && !takesOperandSize(op)) {
      return undefined(String.format("operand-size prefix 66 on opcode %02x is outside the subset", op));
    }
    int size = opSize();
    if (op < 0x40 && (op & 7) <= 5) {
      AluOp alu = AluOp.ofDigit(op >> 3);
      if (alu == null) {
        return undefined(String.format("opcode %02x (bcd/segment push) is outside the subset", op));
      }
      return switch (op & 7) {
        case 0 -> {
          ModRm m = modrm(1);
          yield new Instruction.Alu(alu, 1, m.rm, reg(m.reg, 1));
        }
        case 1 -> {
          ModRm m = modrm(size);
          yield new Instruction.Alu(alu, size, m.rm, reg(m.reg, size));
        }
        case 2 -> {
          ModRm m = modrm(1);
          yield new Instruction.Alu(alu, 1, reg(m.reg, 1), m.rm);
        }
        case 3 -> {
          ModRm m = modrm(size);
          yield new Instruction.Alu(alu, size, reg(m.reg, size), m.rm);
        }
        case 4 -> new Instruction.Alu(alu, 1, new Gpr(0, 1), new Imm(next()));
        default -> new Instruction.Alu(alu, size, new Gpr(0, size), new Imm(immediate(size)));
      };
    }
    if (bits == 32 && op >= 0x40 && op <= 0x4F) {
      return new Instruction.IncDec(op < 0x48, size, new Gpr(op & 7, size));
    }
    if (op >= 0x50 && op <= 0x5F) {
      Gpr g = new Gpr((op & 7) | ((rex & 1) << 3), slot());
      return op < 0x58 ? new Instruction.Push(slot(), g) : new Instruction.Pop(slot(), g);
    }
    if (op >= 0x70 && op <= 0x7F) {
      long rel = (byte) next();
      return branch(BranchKind.JCC, Condition.values()[op & 15], rel);
    }
    if (op >= 0xB0 && op <= 0xB7) {
      Gpr g = reg((op & 7) | ((rex & 1) << 3), 1);
      return new Instruction.Mov(1, g, new Imm(next()));
    }
    if (op >= 0xB8 && op <= 0xBF) {
      Gpr g = new Gpr((op & 7) | ((rex & 1) << 3), size);
      return switch (size) {
        case 8 -> new Instruction.MovAbs(g, u64());
        case 2 -> new Instruction.Mov(2, g, new Imm(u16()));
        default -> new Instruction.Mov(4, g, new Imm(u32()));
      };
    }
    switch (op) {
      case 0x68:
        return new Instruction.Push(slot(), new Imm(s32()));
      case 0x6A:
        return new Instruction.Push(slot(), new Imm((byte) next()));
      case 0x80, 0x81, 0x83: {
        int sz = op == 0x80 ? 1 : size;
        ModRm m = modrm(sz);
        AluOp alu = AluOp.ofDigit(m.reg & 7);
        long imm = op == 0x81 ? immediate(sz) : sz <= 2 ? mask((byte) next(), sz) : (byte) next();
        return new Instruction.Alu(alu, sz, m.rm, new Imm(imm));
      }
      case 0x84, 0x85: {
        int sz = op == 0x84 ? 1 : size;
        ModRm m = modrm(sz);
        return new Instruction.Alu(AluOp.TEST, sz, m.rm, reg(m.reg, sz));
      }
      case 0x88, 0x89: {
        int sz = op == 0x88 ? 1 : size;
        ModRm m = modrm(sz);
        return new Instruction.Mov(sz, m.rm, reg(m.reg, sz));
      }
      case 0x8A, 0x8B: {
        int sz = op == 0x8A ? 1 : size;
        ModRm m = modrm(sz);
        return new Instruction.Mov(sz, reg(m.reg, sz), m.rm);
      }
      case 0x8C, 0x8E: {
        // the register operand is 16 bits with 66, 64 with REX.W, else 32 (objdump names it so; only 16 bits move)
        ModRm m = modrm(size);
        int sreg = m.reg & 7;
        if (sreg > 5 || (op == 0x8E && sreg == Segment.CS.ordinal())) {
          return undefined("mov to/from segment register " + sreg + " is #UD");
        }
        return new Instruction.MovSegment(op == 0x8E, Segment.values()[sreg], m.rm);
      }
      case 0x8D: {
        ModRm m = modrm(size);
        return m.rm instanceof Mem mem ? new Instruction.Lea(size, reg(m.reg, size), mem) : undefined("lea with a register source");
      }
      case 0x90:
        if ((rex & 1) != 0) {
          return undefined("xchg is outside the subset");
        }
        return new Instruction.Simple(SimpleOp.NOP);
      case 0x9C, 0x9D:
        return new Instruction.Flags(op == 0x9C, slot());
      case 0xA0, 0xA1, 0xA2, 0xA3: {
        if (bits == 64) {
          return undefined("movabs with a 64-bit moffs is outside the subset");
        }
        int sz = (op & 1) == 0 ? 1 : size;
        Mem abs = new Mem(segment, Mem.NONE, Mem.NONE, 1, s32());
        Gpr acc = new Gpr(0, sz);
        return op <= 0xA1 ? new Instruction.Mov(sz, acc, abs) : new Instruction.Mov(sz, abs, acc);
      }
      case 0xA4, 0xA5:
        return new Instruction.StringOp(true, op == 0xA4 ? 1 : size, rep);
      case 0xAA, 0xAB:
        return new Instruction.StringOp(false, op == 0xAA ? 1 : size, rep);
      case 0xA8:
        return new Instruction.Alu(AluOp.TEST, 1, new Gpr(0, 1), new Imm(next()));
      case 0xA9:
        return new Instruction.Alu(AluOp.TEST, size, new Gpr(0, size), new Imm(immediate(size)));
      case 0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3: {
        int sz = (op & 1) == 0 ? 1 : size;
        ModRm m = modrm(sz);
        ShiftOp sh = ShiftOp.ofDigit(m.reg & 7);
        if (op >= 0xD2) {
          return new Instruction.Shift(sh, sz, m.rm, 0, true);
        }
        int count = op >= 0xD0 ? 1 : next();
        return new Instruction.Shift(sh, sz, m.rm, count);
      }
      case 0xC3:
        return new Instruction.Ret();
      case 0xC6, 0xC7: {
        int sz = op == 0xC6 ? 1 : size;
        ModRm m = modrm(sz);
        if ((m.reg & 7) != 0) {
          return undefined(String.format("%02x /%d is outside the subset", op, m.reg & 7));
        }
        return new Instruction.Mov(sz, m.rm, new Imm(sz == 4 ? u32() : immediate(sz)));
      }
      case 0xCB:
        return new Instruction.FarReturn(size == 8 ? 8 : 4);
      case 0xCC:
        return new Instruction.Simple(SimpleOp.INT3);
      case 0xCD:
        return new Instruction.Int(next());
      case 0xCF:
        return new Instruction.Iret(size == 8 ? 8 : 4);
      case 0xE8:
        return branch(BranchKind.CALL, null, s32());
      case 0xE9:
        return branch(BranchKind.JMP, null, s32());
      case 0xEA: {
        if (bits == 64) {
          return undefined("direct far jmp (EA) is invalid in 64-bit mode");
        }
        long off = u32();
        int sel = next() | next() << 8;
        return new Instruction.FarJump(sel, off);
      }
      case 0xEB:
        return branch(BranchKind.JMP, null, (byte) next());
      case 0xF4:
        return new Instruction.Simple(SimpleOp.HLT);
      case 0xF6, 0xF7: {
        int sz = op == 0xF6 ? 1 : size;
        ModRm m = modrm(sz);
        if ((m.reg & 7) != 0) {
          return undefined(String.format("%02x /%d is outside the subset", op, m.reg & 7));
        }
        return new Instruction.Alu(AluOp.TEST, sz, m.rm, new Imm(immediate(sz)));
      }
      case 0xFC:
        return new Instruction.Simple(SimpleOp.CLD);
      case 0xFD:
        return new Instruction.Simple(SimpleOp.STD);
      case 0xFE: {
        ModRm m = modrm(1);
        int d = m.reg & 7;
        return d <= 1 ? new Instruction.IncDec(d == 0, 1, m.rm) : undefined("FE /" + d + " is outside the subset");
      }
      case 0xFF: {
        int peek = peekReg();
        if (operand16 && peek != 0 && peek != 1) {
          return undefined("16-bit branches are outside the subset");
        }
        // near jmp/call through r/m default to 64-bit operands in 64-bit mode (SDM Vol. 2 §2.2.1.7)
        ModRm m = modrm(peek == 2 || peek == 4 ? slot() : size);
        return switch (m.reg & 7) {
          case 0 -> new Instruction.IncDec(true, size, m.rm);
          case 1 -> new Instruction.IncDec(false, size, m.rm);
          case 2 -> new Instruction.IndirectBranch(true, m.rm);
          case 4 -> new Instruction.IndirectBranch(false, m.rm);
          case 5 -> m.rm instanceof Mem mem && size != 2 ? new Instruction.FarJumpIndirect(size, mem) : undefined("ljmp with a register or m16:16 operand");
          default -> undefined("FF /" + (m.reg & 7) + " is outside the subset");
        };
      }
      case 0x0F:
        return twoByte(size);
      default:
        return undefined(String.format("opcode %02x is outside the subset", op));
    }
  }

  /** Opcodes whose 66-prefixed form the subset has: 16-bit ALU, MOV, TEST, INC/DEC, shifts, string ops, NOPs. */
  private boolean takesOperandSize(int op) {
    if (op == 0x0F) {
      return peek() == 0x1F;
    }
    if (op < 0x40) {
      return (op & 7) <= 5;
    }
    if (op < 0x50) {
      return bits == 32;
    }
    return switch (op) {
      case 0x81, 0x83, 0x85, 0x89, 0x8B, 0x8C, 0x8E, 0x8D, 0x90, 0xA1, 0xA3, 0xA5, 0xA9, 0xAB, 0xC1, 0xC7, 0xD1, 0xD3,
          0xF7, 0xFF, 0xB8, 0xB9, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF -> true;
      default -> false;
    };
  }

  /**
   * An ALU immediate of the operand size: 8 or 16 bits zero-extended, 32 bits sign-extended (the
   * form for 32- and 64-bit operands).
   */
  private long immediate(int size) {
    return switch (size) {
      case 1 -> next();
      case 2 -> u16();
      default -> s32();
    };
  }

  private long u16() {
    return next() | next() << 8;
  }

  private Instruction twoByte(int size) {
    int op = next();
    if (op >= 0x80 && op <= 0x8F) {
      return branch(BranchKind.JCC, Condition.values()[op & 15], s32());
    }
    switch (op) {
      case 0x01: {
        ModRm m = modrm(size);
        int d = m.reg & 7;
        if ((d == 2 || d == 3) && m.rm instanceof Mem mem) {
          return new Instruction.LoadTable(d == 3, mem);
        }
        if (d == 7 && m.rm instanceof Mem mem) {
          return new Instruction.Invlpg(mem);
        }
        return undefined("0F 01 /" + d + " is outside the subset");
      }
      case 0x09:
        return new Instruction.Simple(SimpleOp.WBINVD);
      case 0x05:
        return new Instruction.Simple(SimpleOp.SYSCALL);
      case 0xA2:
        return new Instruction.Simple(SimpleOp.CPUID);
      case 0x1F: {
        ModRm m = modrm(size); // NOP r/m (0F 1F /0), the multi-byte NOP GNU as pads code with
        return (m.reg & 7) == 0 ? new Instruction.Nop(size, m.rm) : undefined("0F 1F /" + (m.reg & 7));
      }
      case 0x0B:
        return new Instruction.Simple(SimpleOp.UD2);
      case 0x20, 0x22: {
        // MOV CRn: the mod field is ignored, the operand is always a register (SDM Vol. 2 MOV CRn)
        int modrm = next();
        int cr = ((modrm >> 3) & 7) | ((rex & 4) << 1);
        Gpr g = new Gpr((modrm & 7) | ((rex & 1) << 3), slot());
        if (cr != 0 && cr != 2 && cr != 3 && cr != 4) {
          return undefined("%cr" + cr + " does not exist in this model (#UD)");
        }
        return new Instruction.MovControl(op == 0x22, cr, g);
      }
      case 0x30:
        return new Instruction.Simple(SimpleOp.WRMSR);
      case 0x32:
        return new Instruction.Simple(SimpleOp.RDMSR);
      default:
        return undefined(String.format("opcode 0f %02x is outside the subset", op));
    }
  }

  private Instruction branch(BranchKind kind, Condition c, long rel) {
    long target = start + pos + rel;
    if (bits == 32) {
      target &= 0xFFFF_FFFFL;
    }
    return new Instruction.Branch(kind, c, target);
  }

  private Gpr reg(int number, int size) {
    return size == 1 ? Gpr.byteRegister(number, rexPresent) : new Gpr(number, size);
  }

  private long s32() {
    return (int) u32();
  }

  private long u32() {
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v |= (long) next() << (8 * i);
    }
    return v;
  }

  private long u64() {
    return u32() | (u32() << 32);
  }

  private int peek() {
    return src.byteAt(bits == 64 ? start + pos : (start + pos) & 0xFFFF_FFFFL);
  }

  private int peekReg() {
    return (peek() >> 3) & 7;
  }

  private static long mask(long v, int size) {
    return size == 8 ? v : v & ((1L << (8 * size)) - 1);
  }

  private record ModRm(int reg, Operand rm) {}

  /** ModRM, SIB and displacement (SDM Vol. 2 §2.1.5, §2.2.1.6 for RIP-relative). */
  private ModRm modrm(int size) {
    int b = next();
    int mod = b >> 6;
    int reg = ((b >> 3) & 7) | ((rex & 4) << 1);
    int rm = b & 7;
    if (mod == 3) {
      return new ModRm(reg, reg(rm | ((rex & 1) << 3), size));
    }
    int base;
    int index = Mem.NONE;
    int scale = 1;
    if (rm == 4) {
      int sib = next();
      scale = 1 << (sib >> 6);
      int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
      index = idx == 4 ? Mem.NONE : idx;
      int sb = sib & 7;
      base = (sb == 5 && mod == 0) ? Mem.NONE : sb | ((rex & 1) << 3);
    } else if (rm == 5 && mod == 0) {
      base = bits == 64 ? Mem.RIP : Mem.NONE;
    } else {
      base = rm | ((rex & 1) << 3);
    }
    long disp;
    if (mod == 1) {
      disp = (byte) next();
    } else if (mod == 2 || base == Mem.NONE || base == Mem.RIP) {
      disp = s32();
    } else {
      disp = 0;
    }
    return new ModRm(reg, new Mem(segment, base, index, scale, disp));
  }
}
