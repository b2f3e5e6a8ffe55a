package org.kexecsim.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.testing.Machines;
import org.kexecsim.testing.EachPagingMode;

class PageTableBuilderTest {
  private static final long MIB = 1L << 20;

  private static Translation.Mapped translate(SparseMemory m, PagingState s, long va) {
    return assertInstanceOf(Translation.Mapped.class, PageWalker.translate(m, s, va, Access.READ));
  }

  @EachPagingMode
  void mapsA4KiBPageThatTheWalkerFinds(PagingMode mode) {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, mode);
    b.map(0x4000_0000L, 0x12_3000L, 4096, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_4K);
    Translation.Mapped t = translate(m, Machines.paging(m, mode, b.root()), 0x4000_0abcL);
    assertEquals(0x12_3abcL, t.physical());
    assertEquals(PageSize.SIZE_4K, t.pageSize());
    assertEquals(mode.levels(), b.tablePages().size(), "the root and one table for each level below it");
  }

  /** A builder whose tables take frames from [32 MiB, 64 MiB) of {@code m}. */
  private static PageTableBuilder builder(SparseMemory m, PagingMode mode) {
    return PageTableBuilder.create(m, mode, new BumpFrameAllocator(32 * MIB, 64 * MIB));
  }

  /** Frames from {@code first} for the first table, then from 4 GiB up. */
  private static FrameAllocator rootAtThenAbove4G(long first) {
    long[] calls = {0};
    return () -> calls[0]++ == 0 ? first : (1L << 32) + (calls[0] - 2) * 4096;
  }

  @Test
  void paeTablesBelowThePdptMayLieAbove4GiB() {
    // SDM §4.4: PDPTEs and PDEs carry 52-bit addresses; only CR3 holds a 32-bit PDPT address.
    SparseMemory m = Machines.ram(8L << 30);
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.PAE, rootAtThenAbove4G(32 * MIB));
    b.map(0xC000_0000L, 0x1_2345_6000L, 4096, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_4K);
    assertEquals(0x1_2345_6abcL, translate(m, Machines.paging(m, PagingMode.PAE, b.root()), 0xC000_0abcL).physical());
    assertEquals(32 * MIB, b.root());
  }

  @Test
  void aPdptOr32BitTableAbove4GiBIsRefused() {
    SparseMemory m = Machines.ram(8L << 30);
    assertThrows(IllegalStateException.class,
        () -> PageTableBuilder.create(m, PagingMode.PAE, rootAtThenAbove4G(5L << 30)));
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.BITS32, rootAtThenAbove4G(32 * MIB));
    assertThrows(IllegalStateException.class,
        () -> b.map(0xC000_0000L, 0x10_0000L, 4096, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_4K));
  }

  @Test
  void usesTheLargestAlignedPagesAndFallsBackAtTheEdges() {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, PagingMode.LEVEL4);
    // [1G - 4K, 3G + 2M + 4K): one 4K page, a 1G page, 2M pages... as alignment allows
    long start = (1L << 30) - 4096;
    long size = 4096 + (2L << 30) + 2 * MIB + 4096;
    b.map(start, start, size, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_1G);
    PagingState s = Machines.paging(m, PagingMode.LEVEL4, b.root());
    assertEquals(PageSize.SIZE_4K, translate(m, s, start).pageSize());
    assertEquals(PageSize.SIZE_1G, translate(m, s, 1L << 30).pageSize());
    assertEquals(PageSize.SIZE_1G, translate(m, s, 2L << 30).pageSize());
    assertEquals(PageSize.SIZE_2M, translate(m, s, 3L << 30).pageSize());
    assertEquals(PageSize.SIZE_4K, translate(m, s, (3L << 30) + 2 * MIB).pageSize());
  }

  @Test
  void mappingA4KiBPageInsideA2MiBLeafSplitsIt() {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, PagingMode.LEVEL4);
    b.map(0, 0, 4 * MIB, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_2M);
    b.map(0x1000, 0x80_0000, 4096, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_4K);
    PagingState s = Machines.paging(m, PagingMode.LEVEL4, b.root());
    assertEquals(1, b.splits());
    assertEquals(0x80_0010L, translate(m, s, 0x1010).physical());
    assertEquals(0x2010L, translate(m, s, 0x2010).physical(), "the rest of the split page still identity");
    assertEquals(PageSize.SIZE_2M, translate(m, s, 2 * MIB).pageSize());
  }

  @Test
  void keepLeavesPresentEntriesAlone() {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, PagingMode.LEVEL4);
    b.map(0, 0x40_0000, 2 * MIB, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_2M);
    b.map(0, 0, 4 * MIB, PageTableEntry.PAGE_KERNEL_EXEC, PageTableEntry.KERNPG_TABLE, PageSize.SIZE_2M, Overlap.KEEP);
    PagingState s = Machines.paging(m, PagingMode.LEVEL4, b.root());
    assertEquals(0x40_0000L, translate(m, s, 0).physical());
    assertEquals(2 * MIB, translate(m, s, 2 * MIB).physical());
  }

  @Test
  void paePdptesCarryOnlyPresent() {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, PagingMode.PAE);
    b.map(0xC000_0000L, 0, 8 * MIB, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_2M);
    long pdpte = m.readU64(b.root() + 3 * 8);
    assertEquals(PageTableEntry.P, pdpte & 0xFFF);
  }

  @Test
  void unmapClearsAndSplits() {
    SparseMemory m = Machines.ram(64 * MIB);
    PageTableBuilder b = builder(m, PagingMode.BITS32);
    b.map(0, 0, 8 * MIB, PageTableEntry.P | PageTableEntry.RW, PageSize.SIZE_4M);
    b.unmap(0x1000, 0x1000);
    PagingState s = Machines.paging(m, PagingMode.BITS32, b.root());
    assertInstanceOf(Translation.Faulted.class, PageWalker.translate(m, s, 0x1000, Access.READ));
    assertEquals(0x2000L, translate(m, s, 0x2000).physical());
    assertEquals(PageSize.SIZE_4M, translate(m, s, 4 * MIB).pageSize());
  }
}
