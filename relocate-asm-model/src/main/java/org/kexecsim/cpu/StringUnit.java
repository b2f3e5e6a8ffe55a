package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;

/**
 * MOVS and STOS at every element size, with REP: one element, or a block copied or filled per
 * page pair with bulk physical accesses after translating both sides (SDM Vol. 2 MOVS, STOS, REP).
 */
final class StringUnit extends ExecutionUnit {
  StringUnit(CpuState st) {
    super(st);
  }

  private final byte[] chunk = new byte[PhysicalMemory.PAGE_SIZE];
  private final byte[] pattern = new byte[PhysicalMemory.PAGE_SIZE];
  private long patternValue;
  private int patternSize;

  private long counter() {
    return st.bits() == 64 ? st.gpr[Gpr.RCX] : st.gpr[Gpr.RCX] & 0xFFFF_FFFFL;
  }

  private void setCounter(long v) {
    st.gpr[Gpr.RCX] = st.bits() == 64 ? v : v & 0xFFFF_FFFFL;
  }

  private long index(int reg) {
    return st.bits() == 64 ? st.gpr[reg] : st.gpr[reg] & 0xFFFF_FFFFL;
  }

  private void setIndex(int reg, long v) {
    st.gpr[reg] = st.bits() == 64 ? v : v & 0xFFFF_FFFFL;
  }

  /**
   * MOVS: one element, or with REP a block. The REP path copies per page pair with bulk reads and
   * writes (copyPage for aligned 4 KiB chunks) after translating both sides, so it runs at memory
   * speed; overlapping forward copies and DF=1 go element by element, which keeps the
   * architectural byte-after-byte result (SDM Vol. 2 MOVS, REP).
   */
  void movs(int size, boolean rep) {
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
      long srcLa = cpu.segmentation.segmentLinear(Segment.DS, rsi, size, false);
      long dstLa = cpu.segmentation.segmentLinear(Segment.ES, rdi, size, true);
      long room = Math.min(PhysicalMemory.PAGE_SIZE - (srcLa & 0xFFF), PhysicalMemory.PAGE_SIZE - (dstLa & 0xFFF));
      long n = Math.min(room / size, count);
      if (n == 0 || !withinLimits(rsi, rdi, n * size)) {
        moveElement(size, step); // an element straddles a page, or the block touches a limit: exact path
        setCounter(count - 1);
        continue;
      }
      int bytes = (int) (n * size);
      long srcPa = cpu.linear.translate(srcLa, Access.READ);
      long dstPa = cpu.linear.translate(dstLa, Access.WRITE);
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
  void stos(int size, boolean rep) {
    long step = (cpu.rflags & Rflags.DF) != 0 ? -size : size;
    long value = CpuState.mask(st.gpr[Gpr.RAX], size);
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
      long dstLa = cpu.segmentation.segmentLinear(Segment.ES, rdi, size, true);
      long n = Math.min((PhysicalMemory.PAGE_SIZE - (dstLa & 0xFFF)) / size, count);
      if (n == 0 || !withinLimit(Segment.ES, rdi, n * size)) {
        storeElement(size, step, value);
        setCounter(count - 1);
        continue;
      }
      int bytes = (int) (n * size);
      long dstPa = cpu.linear.translate(dstLa, Access.WRITE);
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
    if (st.bits() == 64) {
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
