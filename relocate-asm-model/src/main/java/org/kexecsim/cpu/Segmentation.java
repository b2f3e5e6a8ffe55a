package org.kexecsim.cpu;

import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ExceptionVector;

/**
 * Protected-mode segmentation (SDM Vol. 3A chapters 3 and 5): GDT descriptor reads, the checks
 * of a segment register load and of a far transfer's CS, and the offset → linear step of every
 * data access. The segment registers themselves are {@link Cpu}'s state.
 */
final class Segmentation {
  private final Cpu cpu;

  Segmentation(Cpu cpu) {
    this.cpu = cpu;
  }

  /** Reads the GDT descriptor for {@code selector}; #GP(selector) if it lies beyond GDTR.limit or in an LDT. */
  long readDescriptor(int selector, int ext) {
    int index = selector & 0xFFF8;
    if ((selector & 4) != 0) {
      throw CpuFault.gp((selector & 0xFFFC) | ext, "selector 0x" + Integer.toHexString(selector) + " refers to an LDT (not modelled)");
    }
    if (index + 7 > cpu.gdtrLimit) {
      throw CpuFault.gp((selector & 0xFFFC) | ext, String.format(
          "selector 0x%x beyond GDTR.limit 0x%x (SDM §3.5.1: (sel & ~7) + 7 <= limit)", selector, cpu.gdtrLimit));
    }
    return cpu.linear.readLinear(cpu.gdtrBase + index, 8, Access.READ);
  }


  /** Loading a descriptor whose accessed bit is clear sets it in the GDT: a memory write (SDM §3.4.5.1). */
  void markAccessed(int selector, long raw) {
    if ((raw & (1L << 40)) == 0) {
      long at = cpu.gdtrBase + (selector & 0xFFF8) + 5;
      cpu.linear.writeLinear(at, 1, (raw >>> 40) | 1);
    }
  }

  /**
   * MOV/POP to DS, ES, FS, GS or SS (SDM Vol. 2 MOV "Operation" for protected mode). A null
   * selector is legal for DS/ES/FS/GS; for SS only in 64-bit mode at CPL≠3 with RPL=CPL.
   */
  void loadDataSegment(Segment seg, int selector) {
    selector &= 0xFFFF;
    int cpl = cpu.cpl();
    int rpl = selector & 3;
    if ((selector & 0xFFFC) == 0) {
      if (seg == Segment.SS && !(cpu.in64BitMode() && cpl != 3 && rpl == cpl)) {
        throw CpuFault.gp(0, "null selector into SS outside 64-bit mode (or RPL != CPL) (SDM Vol. 2 MOV)");
      }
      cpu.segments[seg.ordinal()] = SegmentCache.nullSelector(selector);
      return;
    }
    long raw = readDescriptor(selector, 0);
    SegmentCache c = SegmentCache.fromDescriptor(selector, raw);
    int err = selector & 0xFFFC;
    if (!c.codeOrData()) {
      throw CpuFault.gp(err, "selector 0x" + Integer.toHexString(selector) + " names a system descriptor");
    }
    if (seg == Segment.SS) {
      if (c.code() || !c.readableOrWritable() || rpl != cpl || c.dpl() != cpl) {
        throw CpuFault.gp(err, "SS needs a writable data segment with RPL = DPL = CPL (SDM Vol. 2 MOV)");
      }
      if (!c.present()) {
        throw new CpuFault(ExceptionVector.SS, err, "stack segment not present");
      }
    } else {
      if (c.code() && !c.readableOrWritable()) {
        throw CpuFault.gp(err, "execute-only code segment into a data segment register");
      }
      if ((!c.code() || !c.conforming()) && (rpl > c.dpl() || cpl > c.dpl())) {
        throw CpuFault.gp(err, "data segment DPL below max(CPL, RPL)");
      }
      if (!c.present()) {
        throw new CpuFault(ExceptionVector.NP, err, "segment not present");
      }
    }
    markAccessed(selector, raw);
    cpu.segments[seg.ordinal()] = SegmentCache.fromDescriptor(selector, raw | (1L << 40));
  }

  /**
   * The CS a far JMP, far RET or IRET loads, at the same privilege level (SDM Vol. 2 JMP, RET,
   * IRET): a present code segment, DPL = CPL (non-conforming) or DPL <= CPL (conforming), and not
   * L=1 with D=1 in IA-32e mode. Returns the cache; the caller commits it and marks it accessed.
   */
  SegmentCache checkFarCode(int selector, long raw, boolean isReturn) {
    int err = selector & 0xFFFC;
    SegmentCache c = SegmentCache.fromDescriptor(selector, raw);
    int cpl = cpu.cpl();
    if (!c.code()) {
      throw CpuFault.gp(err, "far transfer to a selector that is not a code segment");
    }
    if (isReturn) {
      if (c.rpl() < cpl) {
        throw CpuFault.gp(err, "return to a more privileged level");
      }
      if (c.conforming() ? c.dpl() > c.rpl() : c.dpl() != c.rpl()) {
        throw CpuFault.gp(err, "return CS DPL does not match its RPL");
      }
    } else if (c.conforming() ? c.dpl() > cpl : (c.dpl() != cpl || c.rpl() > cpl)) {
      throw CpuFault.gp(err, "far jump to code at another privilege level");
    }
    if (!c.present()) {
      throw new CpuFault(ExceptionVector.NP, err, "code segment not present");
    }
    if (cpu.longModeActive() && c.longMode() && c.defaultBig()) {
      throw CpuFault.gp(err, "CS with L=1 and D=1 is reserved in IA-32e mode (SDM §3.4.5)");
    }
    return c;
  }

  /** Commits a far-loaded CS with CPL kept (jmp) or set to its RPL (ret/iret). */
  void commitCode(int selector, long raw, int newCpl) {
    markAccessed(selector, raw);
    cpu.segments[Segment.CS.ordinal()] = SegmentCache.fromDescriptor((selector & ~3) | newCpl, raw | (1L << 40));
  }

  /**
   * Segmentation for a data access (SDM §3.4, §5.3): in 64-bit mode only FS/GS add a base and
   * there are no limit or null checks, but the address must be canonical (#SS for stack
   * accesses); elsewhere the segment must be usable and the access within its limit (#GP(0),
   * #SS(0) for SS), and the linear address wraps at 4 GiB. Expand-down segments are not modelled.
   */
  long segmentLinear(Segment seg, long offset, int size, boolean write) {
    SegmentCache c = cpu.segments[seg.ordinal()];
    if (cpu.in64BitMode()) {
      long la = (seg == Segment.FS || seg == Segment.GS) ? c.base() + offset : offset;
      if (seg == Segment.SS) {
        checkCanonicalStack(la);
      }
      return la;
    }
    ExceptionVector v = seg == Segment.SS ? ExceptionVector.SS : ExceptionVector.GP;
    if (!c.usable()) {
      throw new CpuFault(v, 0, "access through " + seg.att() + " holding a null selector (SDM §3.4.2)");
    }
    long off = offset & 0xFFFF_FFFFL;
    if (off + size - 1 > c.limit()) {
      throw new CpuFault(v, 0, String.format("offset 0x%x beyond the %s limit 0x%x", off, seg.att(), c.limit()));
    }
    if (write && (c.code() || !c.readableOrWritable())) {
      throw CpuFault.gp(0, "write through " + seg.att() + ", which is not writable data");
    }
    if (!write && c.code() && !c.readableOrWritable()) {
      throw CpuFault.gp(0, "read through execute-only " + seg.att());
    }
    return (c.base() + off) & 0xFFFF_FFFFL;
  }

  /** SDM §3.3.7.1: a non-canonical stack reference is #SS(0), not #GP. */
  void checkCanonicalStack(long la) {
    if (cpu.longModeActive() && ((la << 16) >> 16) != la) {
      throw new CpuFault(ExceptionVector.SS, 0, String.format("non-canonical stack address 0x%x", la));
    }
  }
}
