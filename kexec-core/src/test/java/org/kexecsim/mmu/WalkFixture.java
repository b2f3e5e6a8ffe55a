package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.kexecsim.memory.SparseMemory;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

/**
 * One mapping, VA {@link #VA} to PA {@link #PA}, built for a mode with user+write rights at every
 * level, whose entries a test then bends bit by bit to check one rule.
 */
final class WalkFixture {
  static final long VA = 0x4020_3000L;
  static final long PA = 0x0012_3000L;
  static final long MIB = 1L << 20;

  final SparseMemory memory = Machines.ram(64 * MIB);
  final PagingMode mode;
  final PageTableBuilder builder;
  long cr0;
  long cr4;
  long efer;
  CpuFeatures features = CpuFeatures.DEFAULT;

  WalkFixture(PagingMode mode, PageSize size) {
    this.mode = mode;
    this.builder = PageTableBuilder.create(memory, mode, new BumpFrameAllocator(32 * MIB, 64 * MIB));
    long mask = size.bytes() - 1;
    long leafFlags = PageTableEntry.P | PageTableEntry.RW | PageTableEntry.US;
    builder.map(VA & ~mask, PA & ~mask, size.bytes(), leafFlags, PageTableEntry.PAGE_TABLE, size, org.kexecsim.pagetable.Overlap.REPLACE);
    long[] c = Machines.controlFor(mode);
    cr0 = c[0];
    cr4 = c[1];
    efer = c[2];
  }

  WalkFixture(PagingMode mode) {
    this(mode, PageSize.SIZE_4K);
  }

  /** Loads CR3 as the CPU would now (PAE: reads and checks the PDPTEs). */
  PagingState state() {
    ControlWrite w = ControlRegisterRules.establish(cr0, builder.root(), cr4, efer, memory, features);
    return PagingState.of(assertInstanceOf(ControlWrite.Accepted.class, w, w.toString()).state(), features);
  }

  Translation translate(long va, int access) {
    return PageWalker.translate(memory, state(), va, access);
  }

  Translation translate(int access) {
    return translate(VA, access);
  }

  Translation.Mapped mapped(long va, int access) {
    Translation t = translate(va, access);
    return assertInstanceOf(Translation.Mapped.class, t, t.toString());
  }

  Translation.Faulted faulted(long va, int access) {
    Translation t = translate(va, access);
    return assertInstanceOf(Translation.Faulted.class, t, t.toString());
  }

  /** Where the entry for {@link #VA} at {@code level} lives (level 1 = PTE). */
  long entryAddress(int level) {
    Translation t = PageWalker.translate(memory, state(), VA, Access.READ);
    for (WalkStep s : t.steps()) {
      if (s.level() == level) {
        return s.entryPhysical();
      }
    }
    throw new AssertionError("no entry at level " + level + " in " + t.steps());
  }

  long entry(int level) {
    long a = entryAddress(level);
    return mode.readEntry(memory, a);
  }

  void setEntry(int level, long value) {
    long a = entryAddress(level);
    mode.writeEntry(memory, a, value);
  }

  void setBits(int level, long bits) {
    setEntry(level, entry(level) | bits);
  }

  void clearBits(int level, long bits) {
    setEntry(level, entry(level) & ~bits);
  }
}
