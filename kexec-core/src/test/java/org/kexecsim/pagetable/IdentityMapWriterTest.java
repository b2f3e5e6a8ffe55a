package org.kexecsim.pagetable;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.testing.Machines;

/** The fast writer must produce exactly what PageTableBuilder produces for a fresh identity map. */
class IdentityMapWriterTest {
  private static final long MIB = 1L << 20;

  @ParameterizedTest
  @CsvSource({
      "BITS32, SIZE_4K", "BITS32, SIZE_4M", "PAE, SIZE_4K", "PAE, SIZE_2M",
      "LEVEL4, SIZE_4K", "LEVEL4, SIZE_2M", "LEVEL4, SIZE_1G", "LEVEL5, SIZE_2M"})
  void matchesTheBuilderEntryForEntry(PagingMode mode, PageSize largest) {
    long tablesAt = 3072 * MIB;
    long start = 0x3000;
    long size = (mode.isLongMode() ? 2100 : 1100) * MIB + 0x5000 - start;
    SparseMemory a = Machines.ram(4096 * MIB);
    SparseMemory b = Machines.ram(4096 * MIB);
    long leaf = mode == PagingMode.BITS32 ? PageTableEntry.PAGE_KERNEL_EXEC : PageTableEntry.PAGE_KERNEL;
    PageTableBuilder builder = PageTableBuilder.create(a, mode, new BumpFrameAllocator(tablesAt, 4096 * MIB));
    builder.map(start, start, size, leaf, PageTableEntry.KERNPG_TABLE, largest, Overlap.REPLACE);
    IdentityMapWriter writer = new IdentityMapWriter(b, mode);
    long root = writer.build(new BumpFrameAllocator(tablesAt, 4096 * MIB), start, size, leaf, PageTableEntry.KERNPG_TABLE, largest);
    assertEquals(builder.tablePages().size(), writer.tablePages().size(), "table pages");
    assertEquals(builder.entriesWritten(), writer.entriesWritten(), "entries");
    PagingState sa = Machines.paging(a, mode, builder.root());
    PagingState sb = Machines.paging(b, mode, root);
    SplittableRandom r = new SplittableRandom(mode.ordinal() * 31L + largest.ordinal());
    for (int i = 0; i < 2000; i++) {
      long va = r.nextLong(start + size + 8 * MIB);
      long ra = new PageWalker(a).walk(sa, va, Access.READ, false);
      long rb = new PageWalker(b).walk(sb, va, Access.READ, false);
      assertEquals(ra, rb, String.format("0x%x", va));
      if (va >= start && va < start + size) {
        assertEquals(va, rb, String.format("0x%x maps to itself", va));
      }
    }
  }

  /**
   * The builder skips zeroing a page table it then fills whole, and writes runs of large leaves
   * without reading: into frames that hold garbage (memory reused) it must still write exactly
   * the bytes it writes into fresh memory, partial tables at the range's ends included.
   */
  @ParameterizedTest
  @CsvSource({"LEVEL4, SIZE_4K", "LEVEL4, SIZE_2M", "PAE, SIZE_4K", "LEVEL5, SIZE_2M"})
  void theBuilderWritesTheSameTablesOverGarbageAsIntoFreshMemory(PagingMode mode, PageSize largest) {
    long tablesAt = 3072 * MIB;
    long start = 0x3000;
    long size = 1100 * MIB + 0x5000 - start;
    SparseMemory fresh = Machines.ram(4096 * MIB);
    SparseMemory reused = Machines.ram(4096 * MIB);
    byte[] garbage = new byte[4096];
    java.util.Arrays.fill(garbage, (byte) 0xA5);
    for (long pa = tablesAt; pa < tablesAt + 4 * MIB; pa += 4096) {
      reused.write(pa, garbage, 0, garbage.length);
    }
    PageTableBuilder a = PageTableBuilder.create(fresh, mode, new BumpFrameAllocator(tablesAt, 4096 * MIB));
    a.map(start, start, size, PageTableEntry.PAGE_KERNEL, PageTableEntry.KERNPG_TABLE, largest, Overlap.REPLACE);
    PageTableBuilder b = PageTableBuilder.create(reused, mode, new BumpFrameAllocator(tablesAt, 4096 * MIB));
    b.map(start, start, size, PageTableEntry.PAGE_KERNEL, PageTableEntry.KERNPG_TABLE, largest, Overlap.REPLACE);
    assertEquals(a.tablePages(), b.tablePages());
    byte[] x = new byte[4096];
    byte[] y = new byte[4096];
    for (TablePage t : a.tablePages()) {
      fresh.read(t.physical(), x, 0, x.length);
      reused.read(t.physical(), y, 0, y.length);
      org.junit.jupiter.api.Assertions.assertArrayEquals(x, y, String.format("table page 0x%x (%s)", t.physical(), t.name()));
    }
  }
}
