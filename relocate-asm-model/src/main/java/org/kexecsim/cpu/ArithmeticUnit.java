package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Instruction;
import org.kexecsim.isa.ShiftOp;

/**
 * ADD/ADC/SUB/SBB/CMP/AND/OR/XOR/TEST, INC/DEC and the shift/rotate group at every operand width,
 * with the flags each defines (SDM Vol. 2 per instruction; Vol. 1 Appendix A, EFLAGS cross-reference).
 */
final class ArithmeticUnit extends ExecutionUnit {
  ArithmeticUnit(CpuState st) {
    super(st);
  }

  /** INC/DEC: like ADD/SUB of 1, but CF is kept (SDM Vol. 2 INC, DEC). */
  void incDec(Instruction.IncDec i) {
    long a = st.read(i.target(), i.size());
    long r = CpuState.mask(i.increment() ? a + 1 : a - 1, i.size());
    st.write(i.target(), i.size(), r);
    long sign = CpuState.signBit(i.size());
    boolean of = i.increment() ? r == sign : a == sign;
    long af = ((a ^ r) & 0x10) != 0 ? Rflags.AF : 0;
    st.setFlags(Rflags.ARITH & ~Rflags.CF, st.resultFlags(r, i.size()) | af | (of ? Rflags.OF : 0));
  }

  void alu(Instruction.Alu a) {
    int size = a.size();
    long x = st.read(a.dst(), size);
    long y = st.read(a.src(), size);
    long r;
    long flags;
    long sign = CpuState.signBit(size);
    switch (a.op()) {
      case ADD -> {
        r = CpuState.mask(x + y, size);
        boolean cf = Long.compareUnsigned(r, x) < 0;
        boolean of = ((x ^ r) & (y ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case SUB, CMP -> {
        r = CpuState.mask(x - y, size);
        boolean cf = Long.compareUnsigned(x, y) < 0;
        boolean of = ((x ^ y) & (x ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case ADC -> {
        long c = (st.flags() & Rflags.CF) != 0 ? 1 : 0;
        r = CpuState.mask(x + y + c, size);
        boolean cf = Long.compareUnsigned(r, x) < 0 || (c == 1 && r == x);
        boolean of = ((x ^ r) & (y ^ r) & sign) != 0;
        flags = (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | (((x ^ y ^ r) & 0x10) != 0 ? Rflags.AF : 0);
      }
      case SBB -> {
        long c = (st.flags() & Rflags.CF) != 0 ? 1 : 0;
        r = CpuState.mask(x - y - c, size);
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
      st.write(a.dst(), size, r);
    }
    st.setFlags(Rflags.ARITH, flags | st.resultFlags(r, size));
  }

  /**
   * Shifts and rotates (SDM Vol. 2 SAL/SAR/SHL/SHR and RCL/RCR/ROL/ROR): the count is masked to
   * 5 st.bits() (6 with a 64-bit operand); a masked count of 0 changes nothing, not even flags. Shifts
   * set CF to the last bit shifted out and SF/ZF/PF from the result; rotates touch only CF and
   * OF. OF is defined for a count of 1 only; for other counts this model leaves it unchanged.
   * RCL/RCR rotate through CF, modulo 9 or 17 for byte and word operands.
   */
  void shift(Instruction.Shift s) {
    int size = s.size();
    int width = 8 * size;
    int raw = s.byCl() ? (int) st.gpr[Gpr.RCX] & 0xFF : s.count();
    int count = raw & (size == 8 ? 63 : 31);
    long a = st.read(s.target(), size);
    if (count == 0) {
      st.write(s.target(), size, a); // still a write access, flags unchanged
      return;
    }
    long sign = CpuState.signBit(size);
    long r;
    boolean cf;
    boolean of;
    boolean logical = true;
    switch (s.op()) {
      case SHL -> {
        r = count >= 64 ? 0 : CpuState.mask(a << count, size);
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
        r = CpuState.mask(sx >> Math.min(count, 63), size);
        cf = ((sx >> Math.min(count - 1, 63)) & 1) != 0;
        of = false;
      }
      case ROL, ROR -> {
        logical = false;
        int n = count % width;
        if (s.op() == ShiftOp.ROL) {
          r = n == 0 ? a : CpuState.mask((a << n) | (a >>> (width - n)), size);
          cf = (r & 1) != 0;
          of = ((r & sign) != 0) != cf;
        } else {
          r = n == 0 ? a : CpuState.mask((a >>> n) | (a << (width - n)), size);
          cf = (r & sign) != 0;
          of = ((r ^ (r << 1)) & sign) != 0; // MSB xor the bit below it
        }
      }
      default -> { // RCL, RCR: rotate the (width+1)-bit value CF:operand
        logical = false;
        int n = size <= 2 ? count % (width + 1) : count;
        boolean c = (st.flags() & Rflags.CF) != 0;
        r = a;
        boolean ofBefore = ((a & sign) != 0) != c;
        for (int k = 0; k < n; k++) {
          if (s.op() == ShiftOp.RCL) {
            boolean out = (r & sign) != 0;
            r = CpuState.mask((r << 1) | (c ? 1 : 0), size);
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
    st.write(s.target(), size, r);
    if (logical) {
      long affected = Rflags.CF | Rflags.ZF | Rflags.SF | Rflags.PF | (count == 1 ? Rflags.OF : 0);
      st.setFlags(affected, (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0) | st.resultFlags(r, size));
    } else {
      long affected = Rflags.CF | (count == 1 ? Rflags.OF : 0);
      st.setFlags(affected, (cf ? Rflags.CF : 0) | (of ? Rflags.OF : 0));
    }
  }
}
