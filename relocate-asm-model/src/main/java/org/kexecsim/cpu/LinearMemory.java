package org.kexecsim.cpu;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;

/**
 * Linear-address reads and writes (SDM Vol. 3A chapter 4): each access translated through the
 * {@link TlbUnit} or a walk of the tables in force, a #PF with CR2 loaded when it faults, an
 * access that straddles a page translated on both pages before any byte moves.
 */
final class LinearMemory {
  private final Cpu cpu;

  LinearMemory(Cpu cpu) {
    this.cpu = cpu;
  }

  /**
   * Linear → physical through the TLB, else the current tables; a #PF loads CR2 with the linear
   * address (SDM §4.7) and drops any TLB entry for it (§4.10.4.1). A hit whose rights do not allow
   * the access walks again, as does a write through an entry not yet dirty (§4.8).
   */
  long translate(long linear, int access) {
    int acc = access | (cpu.cpl() == 3 ? Access.USER : 0);
    boolean paged = cpu.paging.mode() != PagingMode.DISABLED;
    long la = cpu.longModeActive() ? linear : linear & 0xFFFF_FFFFL;
    if (paged) {
      long hit = cpu.tlb.hit(la, acc);
      if (hit >= 0) {
        return hit;
      }
    }
    long r = cpu.walker.walk(cpu.paging, linear, acc, true);
    if (paged) {
      cpu.tlb.afterWalk(la, acc, r);
    }
    if (PageWalker.isFault(r)) {
      ExceptionVector v = ExceptionVector.ofNumber(PageWalker.faultVector(r));
      if (v == ExceptionVector.PF) {
        cpu.cr2 = cpu.longModeActive() ? linear : linear & 0xFFFF_FFFFL;
        throw new CpuFault(v, PageWalker.faultErrorCode(r), String.format(
            "%s at linear 0x%x: %s", Access.describe(acc), cpu.cr2, cpu.walker.lastFaultCause()));
      }
      throw new CpuFault(v, PageWalker.faultErrorCode(r), String.format("linear 0x%x is not canonical (SDM §3.3.7.1)", linear));
    }
    return r;
  }

  private long nextLinear(long la, long delta) {
    long r = la + delta;
    return cpu.longModeActive() ? r : r & 0xFFFF_FFFFL;
  }

  /** Reads {@code size} bytes (1..8) at a linear address; an access straddling two pages translates both first. */
  long readLinear(long la, int size, int access) {
    if ((la & 0xFFF) + size <= PhysicalMemory.PAGE_SIZE) {
      long pa = translate(la, access);
      return switch (size) {
        case 1 -> cpu.memory.readU8(pa);
        case 2 -> cpu.memory.readU16(pa);
        case 4 -> cpu.memory.readU32(pa);
        case 8 -> cpu.memory.readU64(pa);
        default -> readBytes(pa, size);
      };
    }
    int first = (int) (PhysicalMemory.PAGE_SIZE - (la & 0xFFF));
    long pa1 = translate(la, access);
    long pa2 = translate(nextLinear(la, first), access);
    long v = 0;
    for (int i = 0; i < size; i++) {
      long pa = i < first ? pa1 + i : pa2 + (i - first);
      v |= (long) cpu.memory.readU8(pa) << (8 * i);
    }
    return v;
  }

  private long readBytes(long pa, int size) {
    long v = 0;
    for (int i = 0; i < size; i++) {
      v |= (long) cpu.memory.readU8(pa + i) << (8 * i);
    }
    return v;
  }

  /** Writes the low {@code size} bytes of {@code value}; both pages of a straddling write are translated before any byte is stored. */
  void writeLinear(long la, int size, long value) {
    long pa1;
    if ((la & 0xFFF) + size <= PhysicalMemory.PAGE_SIZE) {
      pa1 = translate(la, Access.WRITE);
      switch (size) {
        case 1 -> cpu.memory.writeU8(pa1, (int) value);
        case 2 -> cpu.memory.writeU16(pa1, (int) value);
        case 4 -> cpu.memory.writeU32(pa1, value);
        case 8 -> cpu.memory.writeU64(pa1, value);
        default -> {
          for (int i = 0; i < size; i++) {
            cpu.memory.writeU8(pa1 + i, (int) (value >>> (8 * i)));
          }
        }
      }
    } else {
      int first = (int) (PhysicalMemory.PAGE_SIZE - (la & 0xFFF));
      pa1 = translate(la, Access.WRITE);
      long pa2 = translate(nextLinear(la, first), Access.WRITE);
      for (int i = 0; i < size; i++) {
        cpu.memory.writeU8(i < first ? pa1 + i : pa2 + (i - first), (int) (value >>> (8 * i)));
      }
    }
    if (cpu.stepChanges != null) {
      cpu.stepChanges.add(new StepTrace.MemoryWrite(la, pa1, size, size == 8 ? value : value & ((1L << (8 * size)) - 1)));
    }
  }
}
