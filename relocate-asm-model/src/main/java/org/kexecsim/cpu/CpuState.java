package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Imm;
import org.kexecsim.isa.Mem;
import org.kexecsim.isa.Operand;
import org.kexecsim.isa.Segment;

/**
 * The narrow view of the CPU the instruction families work through: the general registers at
 * every width, RFLAGS, operands (register, immediate, memory through its segment), the stack,
 * and the current instruction's mode and next RIP. Memory accesses go through {@link Cpu}'s
 * segmentation and paging; nothing here bypasses them.
 */
final class CpuState {
  final Cpu cpu;
  final long[] gpr;
  private int bits;
  private long next;

  CpuState(Cpu cpu) {
    this.cpu = cpu;
    this.gpr = cpu.gpr;
  }

  /** Starts an instruction in {@code bits}-bit code whose successor is at {@code nextRip}. */
  void begin(int bits, long nextRip) {
    this.bits = bits;
    this.next = nextRip;
  }

  int bits() {
    return bits;
  }

  long nextRip() {
    return next;
  }

  long flags() {
    return cpu.rflags;
  }

  /** The stack slot and near-branch operand size: 8 bytes in 64-bit code, else 4. */
  int slot() {
    return bits / 8;
  }

  static long mask(long v, int size) {
    return size == 8 ? v : size == 4 ? v & 0xFFFF_FFFFL : v & ((1L << (8 * size)) - 1);
  }

  static long signBit(int size) {
    return 1L << (8 * size - 1);
  }

  /**
   * SDM Vol. 1 §3.4.1.1: a 32-bit result zero-extends into the full register; 8- and 16-bit
   * results leave the other bits as they were.
   */
  void setReg(int n, int size, long v) {
    gpr[n] = switch (size) {
      case 8 -> v;
      case 4 -> v & 0xFFFF_FFFFL;
      case 2 -> (gpr[n] & ~0xFFFFL) | (v & 0xFFFFL);
      default -> (gpr[n] & ~0xFFL) | (v & 0xFFL);
    };
  }

  long readReg(Gpr g, int size) {
    return g.high() ? (gpr[g.number()] >>> 8) & 0xFF : mask(gpr[g.number()], size);
  }

  void writeReg(Gpr g, int size, long v) {
    if (g.high()) {
      gpr[g.number()] = (gpr[g.number()] & ~0xFF00L) | ((v & 0xFF) << 8); // AH..BH: bits 15:8
    } else {
      setReg(g.number(), size, v);
    }
  }

  long effectiveAddress(Mem m) {
    long a = m.disp();
    if (m.base() == Mem.RIP) {
      a += next;
    } else if (m.base() != Mem.NONE) {
      a += gpr[m.base()];
    }
    if (m.index() != Mem.NONE) {
      a += gpr[m.index()] * m.scale();
    }
    return bits == 64 ? a : a & 0xFFFF_FFFFL;
  }

  long read(Operand o, int size) {
    return switch (o) {
      case Gpr g -> readReg(g, size);
      case Imm i -> mask(i.value(), size);
      case Mem m -> cpu.read(m.effectiveSegment(), effectiveAddress(m), size);
    };
  }

  void write(Operand o, int size, long v) {
    switch (o) {
      case Gpr g -> writeReg(g, size, v);
      case Mem m -> cpu.write(m.effectiveSegment(), effectiveAddress(m), size, v);
      case Imm i -> throw new IllegalStateException("write to an immediate");
    }
  }

  long stackPointer() {
    return bits == 64 ? gpr[Gpr.RSP] : gpr[Gpr.RSP] & 0xFFFF_FFFFL;
  }

  void setRsp(long v) {
    gpr[Gpr.RSP] = bits == 64 ? v : v & 0xFFFF_FFFFL;
  }

  /** Pushes: the store happens first, so a faulting push leaves RSP unchanged. */
  void push(int size, long v) {
    long sp = stackPointer() - size;
    if (bits != 64) {
      sp &= 0xFFFF_FFFFL;
    }
    cpu.write(Segment.SS, sp, size, v);
    setRsp(sp);
  }

  /** Reads the stack slot {@code index} slots above RSP without moving RSP. */
  long pop(int size, int index) {
    long sp = stackPointer() + (long) size * index;
    return cpu.read(Segment.SS, bits == 64 ? sp : sp & 0xFFFF_FFFFL, size);
  }

  void requireCpl0(String what) {
    if (cpu.cpl() != 0) {
      throw CpuFault.gp(0, what + " needs CPL 0");
    }
  }

  void setFlags(long affected, long values) {
    cpu.rflags = (cpu.rflags & ~affected) | (values & affected);
  }

  /** ZF, SF and PF (parity of the low byte) of a result. */
  static long resultFlags(long r, int size) {
    long f = 0;
    if (r == 0) {
      f |= Rflags.ZF;
    }
    if ((r & signBit(size)) != 0) {
      f |= Rflags.SF;
    }
    if ((Integer.bitCount((int) (r & 0xFF)) & 1) == 0) {
      f |= Rflags.PF;
    }
    return f;
  }

  void loadFlags(long v, long writable) {
    cpu.rflags = ((cpu.rflags & ~writable) | (v & writable)) | Rflags.FIXED;
  }

  /** Jcc condition by its encoding nibble (SDM Vol. 1 Appendix B, Table B-1). */
  boolean condition(int cc) {
    long f = cpu.rflags;
    boolean cf = (f & Rflags.CF) != 0, zf = (f & Rflags.ZF) != 0, sf = (f & Rflags.SF) != 0;
    boolean of = (f & Rflags.OF) != 0, pf = (f & Rflags.PF) != 0;
    boolean r = switch (cc >> 1) {
      case 0 -> of;
      case 1 -> cf;
      case 2 -> zf;
      case 3 -> cf || zf;
      case 4 -> sf;
      case 5 -> pf;
      case 6 -> sf != of;
      default -> zf || sf != of;
    };
    return (cc & 1) == 0 ? r : !r;
  }
}
