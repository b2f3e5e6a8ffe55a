package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Instruction;
import org.kexecsim.isa.Mem;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.ExceptionVector;

/**
 * Near and far transfers: JMP/CALL/Jcc/RET, far JMP and LRET at the same privilege level, IRET
 * (SDM Vol. 2 per instruction, §6.14.3). Each returns the next RIP; checks that fault leave the
 * state as it was.
 */
final class ControlTransfer extends ExecutionUnit {
  ControlTransfer(CpuState st) {
    super(st);
  }

  /** JMP/CALL/Jcc to a label; returns the st.nextRip() RIP. */
  long branch(Instruction.Branch b) {
    long t = b.target();
    return switch (b.kind()) {
      case JMP -> t;
      case CALL -> {
        st.push(st.slot(), st.nextRip());
        yield t;
      }
      case JCC -> st.condition(b.condition().ordinal()) ? t : st.nextRip();
    };
  }

  /** JMP/CALL through a register or memory (the target is read before the return address is pushed). */
  long indirect(Instruction.IndirectBranch ib) {
    long t = st.read(ib.target(), st.slot());
    if (ib.call()) {
      st.push(st.slot(), st.nextRip());
    }
    return t;
  }

  long ret() {
    long t = st.pop(st.slot(), 0);
    st.setRsp(st.stackPointer() + st.slot());
    return t;
  }

  /** ljmp *mem: offset, then the selector, from a far pointer in memory. */
  long farJumpIndirect(Instruction.FarJumpIndirect fj) {
    Mem m = fj.pointer();
    Segment seg = m.effectiveSegment();
    long ea = st.effectiveAddress(m);
    long offset = cpu.read(seg, ea, fj.size());
    int selector = (int) cpu.read(seg, ea + fj.size(), 2);
    return farJump(selector, offset);
  }

  /**
   * A near or far transfer to a non-canonical RIP (64-bit mode) or beyond the CS limit (32-bit
   * code) faults on the transfer itself, with RIP still naming it (SDM Vol. 2 JMP/CALL/RET:
   * "#GP(0) if the target offset is beyond the code segment limit / non-canonical").
   */
  void checkBranchTarget(long target) {
    if (cpu.in64BitMode()) {
      if (((target << 16) >> 16) != target) {
        throw CpuFault.gp(0, String.format("branch to non-canonical 0x%x", target));
      }
    } else if ((target & 0xFFFF_FFFFL) > cpu.segment(Segment.CS).limit()) {
      throw CpuFault.gp(0, String.format("branch to 0x%x beyond the CS limit 0x%x", target, cpu.segment(Segment.CS).limit()));
    }
  }

  /** Far JMP at the same privilege level; 32-bit targets must lie within the new CS limit. */
  long farJump(int selector, long offset) {
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "far jump to a null selector");
    }
    long raw = cpu.segmentation.readDescriptor(selector, 0);
    SegmentCache c = cpu.segmentation.checkFarCode(selector, raw, false);
    long rip = targetOffset(c, offset);
    cpu.segmentation.commitCode(selector, raw, cpu.cpl());
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
  long farReturn(int size) {
    long offset = st.pop(size, 0);
    int selector = (int) st.pop(size, 1) & 0xFFFF;
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "far return to a null selector");
    }
    if ((selector & 3) > cpu.cpl()) {
      throw new MachineStop("far return to an outer privilege level is not modelled");
    }
    long raw = cpu.segmentation.readDescriptor(selector, 0);
    SegmentCache c = cpu.segmentation.checkFarCode(selector, raw, true);
    long rip = targetOffset(c, offset);
    cpu.segmentation.commitCode(selector, raw, selector & 3);
    st.setRsp(st.stackPointer() + 2L * size);
    return rip;
  }

  /**
   * IRET (SDM Vol. 2 IRET, §6.14.3): in 64-bit mode it always pops RIP, CS, RFLAGS, RSP and SS;
   * elsewhere only EIP, CS and EFLAGS unless the return goes to an outer privilege level.
   */
  long iret(int size) {
    boolean mode64 = st.bits() == 64;
    if ((cpu.rflags & Rflags.NT) != 0) {
      if (cpu.longModeActive()) {
        throw CpuFault.gp(0, "IRET with NT=1 in IA-32e mode (SDM Vol. 2 IRET)");
      }
      throw new MachineStop("IRET with NT=1: task return is not modelled");
    }
    long newRip = st.pop(size, 0);
    int selector = (int) st.pop(size, 1) & 0xFFFF;
    long newFlags = st.pop(size, 2);
    int newCpl = selector & 3;
    boolean popStack = mode64 || newCpl > cpu.cpl();
    long newRsp = 0;
    int newSs = 0;
    if (popStack) {
      newRsp = st.pop(size, 3);
      newSs = (int) st.pop(size, 4) & 0xFFFF;
    }
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(0, "IRET to a null CS");
    }
    if (newCpl != cpu.cpl()) {
      throw new MachineStop("IRET to another privilege level is not modelled");
    }
    long raw = cpu.segmentation.readDescriptor(selector, 0);
    SegmentCache c = cpu.segmentation.checkFarCode(selector, raw, true);
    long rip = targetOffset(c, newRip);
    long ssRaw = 0;
    if (popStack && (newSs & 0xFFFC) != 0) {
      ssRaw = cpu.segmentation.readDescriptor(newSs, 0);
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
    cpu.segmentation.commitCode(selector, raw, newCpl);
    if (popStack) {
      if ((newSs & 0xFFFC) != 0) {
        cpu.segmentation.markAccessed(newSs, ssRaw);
        cpu.setSegment(Segment.SS, SegmentCache.fromDescriptor(newSs, ssRaw | (1L << 40)));
      } else {
        cpu.setSegment(Segment.SS, SegmentCache.nullSelector(newSs)); // null SS is legal in IA-32e at CPL < 3
      }
      st.gpr[Gpr.RSP] = mode64 ? newRsp : newRsp & 0xFFFF_FFFFL;
    } else {
      st.setRsp(st.stackPointer() + 3L * size);
    }
    st.loadFlags(size == 4 ? newFlags & 0xFFFF_FFFFL : newFlags, Rflags.IRET_MASK);
    return rip;
  }
}
