package org.kexecsim.cpu;

import org.kexecsim.isa.AluOp;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Imm;
import org.kexecsim.isa.Instruction;
import org.kexecsim.isa.Mem;
import org.kexecsim.isa.Operand;
import org.kexecsim.isa.Segment;
import org.kexecsim.isa.ShiftOp;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ControlRegister;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.ExceptionVector;

/**
 * The architectural effect of each instruction form (SDM Vol. 2 per instruction). Every memory
 * access happens before registers are updated, so a fault leaves the state as it was before the
 * instruction (REP string instructions excepted: they stop at an element boundary with RSI, RDI
 * and RCX describing the remaining work, as the SDM specifies).
 */
final class Executor {
  private final Cpu cpu;
  private final long[] gpr;
  private int bits;
  private long next;
  private byte[] chunk = new byte[PhysicalMemory.PAGE_SIZE];
  private byte[] pattern = new byte[PhysicalMemory.PAGE_SIZE];
  private long patternValue;
  private int patternSize;

  Executor(Cpu cpu) {
    this.cpu = cpu;
    this.gpr = cpu.gpr;
  }

  void execute(Instruction insn, long nextRip, int bits) {
    this.bits = bits;
    this.next = nextRip;
    long target = nextRip;
    switch (insn) {
      case Instruction.Mov m -> {
        long v = read(m.src(), m.size());
        write(m.dst(), m.size(), v);
      }
      case Instruction.MovAbs m -> setReg(m.dst().number(), 8, m.value());
      case Instruction.Alu a -> alu(a);
      case Instruction.IncDec i -> {
        long a = read(i.target(), i.size());
        long r = mask(i.increment() ? a + 1 : a - 1, i.size());
        write(i.target(), i.size(), r);
        long sign = signBit(i.size());
        boolean of = i.increment() ? r == sign : a == sign;
        long af = ((a ^ r) & 0x10) != 0 ? Rflags.AF : 0;
        setFlags(Rflags.ARITH & ~Rflags.CF, resultFlags(r, i.size()) | af | (of ? Rflags.OF : 0)); // INC/DEC keep CF
      }
      case Instruction.Shift s -> shift(s);
      case Instruction.Lea l -> setReg(l.dst().number(), l.size(), effectiveAddress(l.src()));
      case Instruction.Push p -> push(p.size(), p.src() instanceof Imm i ? i.value() : read(p.src(), p.size()));
      case Instruction.Pop p -> {
        long v = pop(p.size(), 0);
        setRsp(stackPointer() + p.size());
        setReg(p.dst().number(), p.size(), v); // pop %rsp loads the popped value last
      }
      case Instruction.Flags f -> {
        if (f.push()) {
          push(f.size(), cpu.rflags & ~(Rflags.VM | Rflags.RF)); // VM and RF read as 0 (SDM PUSHF)
        } else {
          long v = pop(f.size(), 0);
          setRsp(stackPointer() + f.size());
          loadFlags(v, Rflags.POPF_MASK);
        }
      }
      case Instruction.MovControl c -> movControl(c);
      case Instruction.MovSegment s -> movSegment(s);
      case Instruction.Branch b -> {
        long t = b.target();
        switch (b.kind()) {
          case JMP -> target = t;
          case CALL -> {
            push(slot(), nextRip);
            target = t;
          }
          case JCC -> target = condition(b.condition().ordinal()) ? t : nextRip;
        }
      }
      case Instruction.IndirectBranch ib -> {
        long t = read(ib.target(), slot());
        if (ib.call()) {
          push(slot(), nextRip);
        }
        target = t;
      }
      case Instruction.Ret r -> {
        target = pop(slot(), 0);
        setRsp(stackPointer() + slot());
      }
      case Instruction.FarJump fj -> target = farJump(fj.selector(), fj.offset());
      case Instruction.FarJumpIndirect fj -> {
        Mem m = fj.pointer();
        Segment seg = m.effectiveSegment();
        long ea = effectiveAddress(m);
        long offset = cpu.read(seg, ea, fj.size());
        int selector = (int) cpu.read(seg, ea + fj.size(), 2);
        target = farJump(selector, offset);
      }
      case Instruction.FarReturn fr -> target = farReturn(fr.size());
      case Instruction.Iret ir -> target = iret(ir.size());
      case Instruction.LoadTable lt -> {
        requireCpl0("LGDT/LIDT");
        Segment seg = lt.source().effectiveSegment();
        long ea = effectiveAddress(lt.source());
        int limit = (int) cpu.read(seg, ea, 2);
        // 64-bit mode: 10-byte operand whatever the operand size; else a 32-bit base (SDM Vol. 2 LGDT)
        long base = bits == 64 ? cpu.read(seg, ea + 2, 8) : cpu.read(seg, ea + 2, 4);
        if (lt.idt()) {
          cpu.setIdtr(base, limit);
        } else {
          cpu.setGdtr(base, limit);
        }
      }
      case Instruction.StringOp so -> {
        if (so.move()) {
          movs(so.size(), so.rep());
        } else {
          stos(so.size(), so.rep());
        }
      }
      case Instruction.Nop n -> {} // no memory access, so no fault (SDM Vol. 2 NOP)
      case Instruction.Simple s -> {
        switch (s.op()) {
          case NOP -> {}
          case HLT -> {
            requireCpl0("HLT");
            cpu.halt();
          }
          case INT3 -> {
            cpu.setRip(nextRip);
            throw new SoftwareInterrupt(new CpuFault(ExceptionVector.BP, 0, "int3"));
          }
          case CLD -> cpu.rflags &= ~Rflags.DF;
          case STD -> cpu.rflags |= Rflags.DF;
          case WBINVD -> requireCpl0("WBINVD"); // caches are not modelled: memory is always coherent
          case UD2 -> throw CpuFault.ud("ud2 (SDM Vol. 2 UD)");
          case RDMSR, WRMSR -> msr(s.op() == Instruction.SimpleOp.WRMSR);
          case CPUID -> cpuid();
        }
      }
      case Instruction.Undefined u -> throw CpuFault.ud(u.reason());
    }
    if (target != nextRip) {
      checkBranchTarget(target);
    }
    cpu.setRip(target);
  }

  /**
   * A near or far transfer to a non-canonical RIP (64-bit mode) or beyond the CS limit (32-bit
   * code) faults on the transfer itself, with RIP still naming it (SDM Vol. 2 JMP/CALL/RET:
   * "#GP(0) if the target offset is beyond the code segment limit / non-canonical").
   */
  private void checkBranchTarget(long target) {
    if (cpu.in64BitMode()) {
      if (((target << 16) >> 16) != target) {
        throw CpuFault.gp(0, String.format("branch to non-canonical 0x%x", target));
      }
    } else if ((target & 0xFFFF_FFFFL) > cpu.segment(Segment.CS).limit()) {
      throw CpuFault.gp(0, String.format("branch to 0x%x beyond the CS limit 0x%x", target, cpu.segment(Segment.CS).limit()));
    }
  }

  /** INT3 is a trap with EXT=0: the CPU delivers it with the next instruction as return address. */
  static final class SoftwareInterrupt extends RuntimeException {
    final CpuFault fault;

    SoftwareInterrupt(CpuFault fault) {
      super(null, null, false, false);
      this.fault = fault;
    }
  }

  // ---- operands -------------------------------------------------------------------------------

  private int slot() {
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
  private void setReg(int n, int size, long v) {
    gpr[n] = switch (size) {
      case 8 -> v;
      case 4 -> v & 0xFFFF_FFFFL;
      case 2 -> (gpr[n] & ~0xFFFFL) | (v & 0xFFFFL);
      default -> (gpr[n] & ~0xFFL) | (v & 0xFFL);
    };
  }

  private long readReg(Gpr g, int size) {
    return g.high() ? (gpr[g.number()] >>> 8) & 0xFF : mask(gpr[g.number()], size);
  }

  private void writeReg(Gpr g, int size, long v) {
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

  private long read(Operand o, int size) {
    return switch (o) {
      case Gpr g -> readReg(g, size);
      case Imm i -> mask(i.value(), size);
      case Mem m -> cpu.read(m.effectiveSegment(), effectiveAddress(m), size);
    };
  }

  private void write(Operand o, int size, long v) {
    switch (o) {
      case Gpr g -> writeReg(g, size, v);
      case Mem m -> cpu.write(m.effectiveSegment(), effectiveAddress(m), size, v);
      case Imm i -> throw new IllegalStateException("write to an immediate");
    }
  }

  private long stackPointer() {
    return bits == 64 ? gpr[Gpr.RSP] : gpr[Gpr.RSP] & 0xFFFF_FFFFL;
  }

  private void setRsp(long v) {
    gpr[Gpr.RSP] = bits == 64 ? v : v & 0xFFFF_FFFFL;
  }

  /** Pushes: the store happens first, so a faulting push leaves RSP unchanged. */
  private void push(int size, long v) {
    long sp = stackPointer() - size;
    if (bits != 64) {
      sp &= 0xFFFF_FFFFL;
    }
    cpu.write(Segment.SS, sp, size, v);
    setRsp(sp);
  }

  /** Reads the stack slot {@code index} slots above RSP without moving RSP. */
  private long pop(int size, int index) {
    long sp = stackPointer() + (long) size * index;
    return cpu.read(Segment.SS, bits == 64 ? sp : sp & 0xFFFF_FFFFL, size);
  }

  private void requireCpl0(String what) {
    if (cpu.cpl() != 0) {
      throw CpuFault.gp(0, what + " needs CPL 0");
    }
  }

  // ---- flags ----------------------------------------------------------------------------------

  private void setFlags(long affected, long values) {
    cpu.rflags = (cpu.rflags & ~affected) | (values & affected);
  }

  /** ZF, SF and PF (parity of the low byte) of a result. */
  private static long resultFlags(long r, int size) {
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

  private void loadFlags(long v, long writable) {
    cpu.rflags = ((cpu.rflags & ~writable) | (v & writable)) | Rflags.FIXED;
  }

  /** Jcc condition by its encoding nibble (SDM Vol. 1 Appendix B, Table B-1). */
  private boolean condition(int cc) {
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

  private void alu(Instruction.Alu a) {
    int size = a.size();
    long x = read(a.dst(), size);
    long y = read(a.src(), size);
    long r;
    long flags;
    long sign = signBit(size);
    switch (a.op()) {
      case ADD -> {
        r = mask(x + y, size);
        boolean cf = Long.compareUnsigned(r, x) < 0;
        boolean of = ((x ^ r) & (y ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case SUB, CMP -> {
        r = mask(x - y, size);
        boolean cf = Long.compareUnsigned(x, y) < 0;
        boolean of = ((x ^ y) & (x ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case ADC -> {
        long c = (cpu.rflags & Rflags.CF) != 0 ? 1 : 0;
        r = mask(x + y + c, size);
        boolean cf = Long.compareUnsigned(r, x) < 0 || (c == 1 && r == x);
        boolean of = ((x ^ r) & (y ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case SBB -> {
        long c = (cpu.rflags & Rflags.CF) != 0 ? 1 : 0;
        r = mask(x - y - c, size);
        boolean cf = Long.compareUnsigned(x, y) < 0 || (c == 1 && x == y);
        boolean of = ((x ^ y) & (x ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case AND, TEST -> {
        r = x & y;
        flags = 0; // CF=OF=0; AF undefined, cleared here
      }
      case OR -> {
        r = x | y;
        flags = 0;
      }
      case XOR -> {
        r = x ^ y;
        flags = 0;
      }
      default -> throw new IllegalStateException(a.op().name());
    }
    if (a.op().writesResult()) {
      write(a.dst(), size, r);
    }
    setFlags(Rflags.ARITH, flags | resultFlags(r, size));
  }

  /**
   * Shifts and rotates (SDM Vol. 2 SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR): the count is masked to
   * 5 bits (6 with a 64-bit operand); a masked count of 0 changes nothing, not even flags. Shifts
   * set CF to the last bit shifted out and SF/ZF/PF from the result; rotates touch only CF and
   * OF. OF is defined for a count of 1 only; for other counts this model leaves it unchanged.
   * RCL/RCR rotate through CF, modulo 9 or 17 for byte and word operands.
   */
  private void shift(Instruction.Shift s) {
    int size = s.size();
    int width = 8 * size;
    int raw = s.byCl() ? (int) gpr[Gpr.RCX] & 0xFF : s.count();
    int count = raw & (size == 8 ? 63 : 31);
    long a = read(s.target(), size);
    if (count == 0) {
      write(s.target(), size, a); // still a write access, flags unchanged
      return;
    }
    long sign = signBit(size);
    long r;
    boolean cf;
    boolean of;
    boolean logical = true;
    switch (s.op()) {
      case SHL -> {
        r = count >= 64 ? 0 : mask(a << count, size);
        cf = count <= width && ((a >>> (width - count)) & 1) != 0;
        of = ((r & sign) != 0) != cf;
      }
      case SHR -> {
        r = count >= width ? 0 : a >>> count;
        cf = count <= width && ((a >>> (count - 1)) & 1) != 0;
        of = (a & sign) != 0;
      }
      case SAR -> {
        long sx = (a << (64 - width)) >> (64 - width);
        r = mask(sx >> Math.min(count, 63), size);
        cf = ((sx >> Math.min(count - 1, 63)) & 1) != 0;
        of = false;
      }
      case ROL, ROR -> {
        logical = false;
        int n = count % width;
        if (s.op() == ShiftOp.ROL) {
          r = n == 0 ? a : mask((a << n) | (a >>> (width - n)), size);
          cf = (r & 1) != 0;
          of = ((r & sign) != 0) != cf;
        } else {
          r = n == 0 ? a : mask((a >>> n) | (a << (width - n)), size);
          cf = (r & sign) != 0;
          of = ((r ^ (r << 1)) & sign) != 0; // MSB xor the bit below it
        }
      }
      default -> { // RCL, RCR: rotate the (width+1)-bit value CF:operand
        logical = false;
        int n = size <= 2 ? count % (width + 1) : count;
        boolean c = (cpu.rflags & Rflags.CF) != 0;
        r = a;
        boolean ofBefore = ((a & sign) != 0) != c;
        for (int k = 0; k < n; k++) {
          if (s.op() == ShiftOp.RCL) {
            boolean out = (r & sign) != 0;
            r = mask((r << 1) | (c ? 1 : 0), size);
            c = out;
          } else {
            boolean out = (r & 1) != 0;
            r = (r >>> 1) | (c ? sign : 0);
            c = out;
          }
        }
        cf = c;
        of = s.op() == ShiftOp.RCL ? ((r & sign) != 0) != cf : ofBefore;
      }
    }
    write(s.target(), size, r);
    if (logical) {
      long affected = Rflags.CF | Rflags.ZF | Rflags.SF | Rflags.PF | (count == 1 ? Rflags.OF : 0);
      setFlags(affected, (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | resultFlags(r, size));
    } else {
      long affected = Rflags.CF | (count == 1 ? Rflags.OF : 0);
      setFlags(affected, (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0));
    }
  }

  // ---- system instructions -----------------------------------------------------------------------

  private void movControl(Instruction.MovControl c) {
    requireCpl0("MOV CRn"); // SDM Vol. 2 MOV CRn: #GP(0) if CPL > 0
    int n = c.gpr().number();
    if (!c.toControl()) {
      long v = switch (c.control()) {
        case 0 -> cpu.control.cr0();
        case 2 -> cpu.cr2;
        case 3 -> cpu.control.cr3();
        default -> cpu.control.cr4();
      };
      setReg(n, slot(), v);
      return;
    }
    long v = mask(gpr[n], slot()); // outside 64-bit mode the operand is 32 bits
    switch (c.control()) {
      case 0 -> cpu.writeControl(ControlRegister.CR0, v);
      case 2 -> cpu.cr2 = v;
      case 3 -> cpu.writeControl(ControlRegister.CR3, v);
      default -> cpu.writeControl(ControlRegister.CR4, v);
    }
  }

  private void msr(boolean write) {
    requireCpl0(write ? "WRMSR" : "RDMSR");
    long ecx = gpr[Gpr.RCX] & 0xFFFF_FFFFL;
    if (ecx != (Efer.MSR & 0xFFFF_FFFFL)) {
      throw CpuFault.gp(0, String.format("MSR 0x%x is not modelled (only EFER)", ecx));
    }
    if (write) {
      long v = (gpr[Gpr.RAX] & 0xFFFF_FFFFL) | (gpr[Gpr.RDX] << 32);
      cpu.writeControl(ControlRegister.EFER, v);
    } else {
      long efer = cpu.control.efer();
      gpr[Gpr.RAX] = efer & 0xFFFF_FFFFL;
      gpr[Gpr.RDX] = efer >>> 32;
    }
  }

  /**
   * CPUID (SDM Vol. 2 CPUID): the leaves a relocate routine or boot code may ask, describing the
   * modelled CPU. Leaves past the maximum return zeros (AMD's behaviour; Intel CPUs repeat the
   * highest basic leaf instead). The vendor string is the model's own.
   */
  private void cpuid() {
    long leaf = gpr[Gpr.RAX] & 0xFFFF_FFFFL;
    long eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (leaf == 0) {
      eax = 7;
      ebx = le("KexecSimCPU!".substring(0, 4)); // EBX, EDX, ECX spell the vendor, in that order
      edx = le("KexecSimCPU!".substring(4, 8));
      ecx = le("KexecSimCPU!".substring(8, 12));
    } else if (leaf == 1) {
      // EDX: FPU(0) PSE(3) MSR(5) PAE(6) PGE(13) PSE-36(17)
      edx = 1L | 1L << 3 | 1L << 5 | 1L << 6 | 1L << 13 | 1L << 17;
    } else if (leaf == 7) {
      ecx = 1L << 16; // LA57 (SDM Vol. 2 CPUID leaf 07H ECX[16])
    } else if (leaf == 0x8000_0000L) {
      eax = 0x8000_0008L;
    } else if (leaf == 0x8000_0001L) {
      edx = 1L << 20 | 1L << 29 | (cpu.features.page1Gb() ? 1L << 26 : 0); // NX, LM, Page1GB
    } else if (leaf == 0x8000_0008L) {
      eax = cpu.features.maxPhyAddr() | 57 << 8; // physical and linear address bits
    }
    gpr[Gpr.RAX] = eax;
    gpr[Gpr.RBX] = ebx;
    gpr[Gpr.RCX] = ecx;
    gpr[Gpr.RDX] = edx;
  }

  private static long le(String four) {
    long v = 0;
    for (int i = 3; i >= 0; i--) {
      v = v << 8 | four.charAt(i);
    }
    return v;
  }

  private void movSegment(Instruction.MovSegment s) {
    if (s.toSegment()) {
      int selector = (int) read(s.other(), 2);
      cpu.loadDataSegment(s.segment(), selector);
      return;
    }
    int selector = cpu.segment(s.segment()).selector();
    switch (s.other()) {
      // 16-bit destination: low 16 bits only; 32/64-bit: zero-extended (SDM Vol. 2 MOV, P6 family and later)
      case Gpr g -> setReg(g.number(), g.size(), selector);
      case Mem m -> cpu.write(m.effectiveSegment(), effectiveAddress(m), 2, selector);
      case Imm i -> throw new IllegalStateException();
    }
  }

  /** Far JMP at the same privilege level; 32-bit targets must lie within the new CS limit. */
  private long farJump(int selector, long offset) {
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "far jump to a null selector");
    }
    long raw = cpu.readDescriptor(selector, 0);
    SegmentCache c = cpu.checkFarCode(selector, raw, false);
    long rip = targetOffset(c, offset);
    cpu.commitCode(selector, raw, cpu.cpl());
    return rip;
  }

  private long targetOffset(SegmentCache c, long offset) {
    boolean to64 = cpu.longModeActive() && c.longMode();
    if (to64) {
      if (((offset << 16) >> 16) != offset) {
        throw CpuFault.gp(0, String.format("non-canonical far target 0x%x", offset));
      }
      return offset;
    }
    long o = offset & 0xFFFF_FFFFL;
    if (o > c.limit()) {
      throw CpuFault.gp(0, String.format("target 0x%x beyond the CS limit 0x%x", o, c.limit()));
    }
    return o;
  }

  /** LRET to the same privilege level: pops the offset and CS, each in a slot of {@code size} bytes. */
  private long farReturn(int size) {
    long offset = pop(size, 0);
    int selector = (int) pop(size, 1) & 0xFFFF;
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "far return to a null selector");
    }
    if ((selector & 3) > cpu.cpl()) {
      throw new MachineStop("far return to an outer privilege level is not modelled");
    }
    long raw = cpu.readDescriptor(selector, 0);
    SegmentCache c = cpu.checkFarCode(selector, raw, true);
    long rip = targetOffset(c, offset);
    cpu.commitCode(selector, raw, selector & 3);
    setRsp(stackPointer() + 2L * size);
    return rip;
  }

  /**
   * IRET (SDM Vol. 2 IRET, §6.14.3): in 64-bit mode it always pops RIP, CS, RFLAGS, RSP and SS;
   * elsewhere only EIP, CS and EFLAGS unless the return goes to an outer privilege level.
   */
  private long iret(int size) {
    boolean mode64 = bits == 64;
    if ((cpu.rflags & Rflags.NT) != 0) {
      if (cpu.longModeActive()) {
        throw CpuFault.gp(0, "IRET with NT=1 in IA-32e mode (SDM Vol. 2 IRET)");
      }
      throw new MachineStop("IRET with NT=1: task return is not modelled");
    }
    long newRip = pop(size, 0);
    int selector = (int) pop(size, 1) & 0xFFFF;
    long newFlags = pop(size, 2);
    int newCpl = selector & 3;
    boolean popStack = mode64 || newCpl > cpu.cpl();
    long newRsp = 0;
    int newSs = 0;
    if (popStack) {
      newRsp = pop(size, 3);
      newSs = (int) pop(size, 4) & 0xFFFF;
    }
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "IRET to a null CS");
    }
    if (newCpl != cpu.cpl()) {
      throw new MachineStop("IRET to another privilege level is not modelled");
    }
    long raw = cpu.readDescriptor(selector, 0);
    SegmentCache c = cpu.checkFarCode(selector, raw, true);
    long rip = targetOffset(c, newRip);
    long ssRaw = 0;
    if (popStack && (newSs & 0xFFFC) != 0) {
      ssRaw = cpu.readDescriptor(newSs, 0);
      SegmentCache ss = SegmentCache.fromDescriptor(newSs, ssRaw);
      if (ss.code() || !ss.readableOrWritable() || !ss.codeOrData() || (newSs & 3) != newCpl || ss.dpl() != newCpl) {
        throw CpuFault.gp(newSs & 0xFFFC, "IRET SS is not a writable data segment at the new CPL");
      }
      if (!ss.present()) {
        throw new CpuFault(ExceptionVector.SS, newSs & 0xFFFC, "IRET SS not present");
      }
    } else if (popStack && !(cpu.longModeActive() && newCpl != 3)) {
      throw CpuFault.gp(0, "IRET loads a null SS outside IA-32e mode or at CPL 3");
    }
    // commit: nothing below can fault except the accessed-bit writes, done first
    cpu.commitCode(selector, raw, newCpl);
    if (popStack) {
      if ((newSs & 0xFFFC) != 0) {
        cpu.markAccessed(newSs, ssRaw);
        cpu.setSegment(Segment.SS, SegmentCache.fromDescriptor(newSs, ssRaw | (1L << 40)));
      } else {
        cpu.setSegment(Segment.SS, SegmentCache.nullSelector(newSs)); // null SS is legal in IA-32e at CPL < 3
      }
      gpr[Gpr.RSP] = mode64 ? newRsp : newRsp & 0xFFFF_FFFFL;
    } else {
      setRsp(stackPointer() + 3L * size);
    }
    loadFlags(size == 4 ? newFlags & 0xFFFF_FFFFL : newFlags, Rflags.IRET_MASK);
    return rip;
  }

  // ---- string instructions ---------------------------------------------------------------------

  private long counter() {
    return bits == 64 ? gpr[Gpr.RCX] : gpr[Gpr.RCX] & 0xFFFF_FFFFL;
  }

  private void setCounter(long v) {
    gpr[Gpr.RCX] = bits == 64 ? v : v & 0xFFFF_FFFFL;
  }

  private long index(int reg) {
    return bits == 64 ? gpr[reg] : gpr[reg] & 0xFFFF_FFFFL;
  }

  private void setIndex(int reg, long v) {
    gpr[reg] = bits == 64 ? v : v & 0xFFFF_FFFFL;
  }

  /**
   * MOVS: one element, or with REP a block. The REP path copies per page pair with bulk reads and
   * writes (copyPage for aligned 4 KiB chunks) after translating both sides, so it runs at memory
   * speed; overlapping forward copies and DF=1 go element by element, which keeps the
   * architectural byte-after-byte result (SDM Vol. 2 MOVS, REP).
   */
  private void movs(int size, boolean rep) {
    long step = (cpu.rflags & Rflags.DF) != 0 ? -size : size;
    if (!rep) {
      moveElement(size, step);
      return;
    }
    while (counter() != 0) {
      long count = counter();
      long rsi = index(Gpr.RSI);
      long rdi = index(Gpr.RDI);
      if (step < 0) {
        moveElement(size, step);
        setCounter(count - 1);
        continue;
      }
      long srcLa = cpu.segmentLinear(Segment.DS, rsi, size, false);
      long dstLa = cpu.segmentLinear(Segment.ES, rdi, size, true);
      long room = Math.min(PhysicalMemory.PAGE_SIZE - (srcLa & 0xFFF), PhysicalMemory.PAGE_SIZE - (dstLa & 0xFFF));
      long n = Math.min(room / size, count);
      if (n == 0 || !withinLimits(rsi, rdi, n * size)) {
        moveElement(size, step); // an element straddles a page, or the block touches a limit: exact path
        setCounter(count - 1);
        continue;
      }
      int bytes = (int) (n * size);
      long srcPa = cpu.translate(srcLa, Access.READ);
      long dstPa = cpu.translate(dstLa, Access.WRITE);
      if (dstPa > srcPa && dstPa < srcPa + bytes) {
        for (long k = 0; k < n; k++) { // forward overlap: element order is visible
          long v = readPhysical(srcPa + k * size, size);
          writePhysical(dstPa + k * size, size, v);
        }
      } else if (bytes == PhysicalMemory.PAGE_SIZE) {
        cpu.memory.copyPage(srcPa, dstPa);
      } else {
        cpu.memory.read(srcPa, chunk, 0, bytes);
        cpu.memory.write(dstPa, chunk, 0, bytes);
      }
      traceBulk(dstLa, dstPa, bytes);
      setIndex(Gpr.RSI, rsi + bytes);
      setIndex(Gpr.RDI, rdi + bytes);
      setCounter(count - n);
    }
  }

  private void moveElement(int size, long step) {
    long rsi = index(Gpr.RSI);
    long rdi = index(Gpr.RDI);
    long v = cpu.read(Segment.DS, rsi, size);
    cpu.write(Segment.ES, rdi, size, v);
    setIndex(Gpr.RSI, rsi + step);
    setIndex(Gpr.RDI, rdi + step);
  }

  /** STOS: stores AL/EAX/RAX; with REP a block, filled per page with bulk writes. */
  private void stos(int size, boolean rep) {
    long step = (cpu.rflags & Rflags.DF) != 0 ? -size : size;
    long value = mask(gpr[Gpr.RAX], size);
    if (!rep) {
      storeElement(size, step, value);
      return;
    }
    while (counter() != 0) {
      long count = counter();
      long rdi = index(Gpr.RDI);
      if (step < 0) {
        storeElement(size, step, value);
        setCounter(count - 1);
        continue;
      }
      long dstLa = cpu.segmentLinear(Segment.ES, rdi, size, true);
      long n = Math.min((PhysicalMemory.PAGE_SIZE - (dstLa & 0xFFF)) / size, count);
      if (n == 0 || !withinLimit(Segment.ES, rdi, n * size)) {
        storeElement(size, step, value);
        setCounter(count - 1);
        continue;
      }
      int bytes = (int) (n * size);
      long dstPa = cpu.translate(dstLa, Access.WRITE);
      cpu.memory.write(dstPa, pattern(value, size), 0, bytes);
      traceBulk(dstLa, dstPa, bytes);
      setIndex(Gpr.RDI, rdi + bytes);
      setCounter(count - n);
    }
  }

  private void storeElement(int size, long step, long value) {
    long rdi = index(Gpr.RDI);
    cpu.write(Segment.ES, rdi, size, value);
    setIndex(Gpr.RDI, rdi + step);
  }

  private byte[] pattern(long value, int size) {
    if (value != patternValue || size != patternSize) {
      for (int i = 0; i < pattern.length; i++) {
        pattern[i] = (byte) (value >>> (8 * (i % size)));
      }
      patternValue = value;
      patternSize = size;
    }
    return pattern;
  }

  private boolean withinLimits(long rsi, long rdi, long bytes) {
    return withinLimit(Segment.DS, rsi, bytes) && withinLimit(Segment.ES, rdi, bytes);
  }

  private boolean withinLimit(Segment seg, long offset, long bytes) {
    if (bits == 64) {
      return true;
    }
    SegmentCache c = cpu.segment(seg);
    return offset + bytes - 1 <= c.limit();
  }

  private long readPhysical(long pa, int size) {
    return switch (size) {
      case 1 -> cpu.memory.readU8(pa);
      case 2 -> cpu.memory.readU16(pa);
      case 4 -> cpu.memory.readU32(pa);
      default -> cpu.memory.readU64(pa);
    };
  }

  private void writePhysical(long pa, int size, long v) {
    switch (size) {
      case 1 -> cpu.memory.writeU8(pa, (int) v);
      case 2 -> cpu.memory.writeU16(pa, (int) v);
      case 4 -> cpu.memory.writeU32(pa, v);
      default -> cpu.memory.writeU64(pa, v);
    }
  }

  private void traceBulk(long la, long pa, int bytes) {
    if (cpu.stepChanges != null) {
      cpu.stepChanges.add(new StepTrace.MemoryWrite(la, pa, bytes, 0));
    }
  }
}
