package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * PagingMode.rootTable, the one reading of "the table CR3 points at": which CR3 bits address it
 * in each mode (SDM Vol. 3A §4.3 Table 4-3, §4.4.1 Table 4-7, §4.5 Table 4-12).
 */
class RootTableTest {
  private static final long CR3 = 0x0000_00ff_1234_5678L | PageTableEntry.PCD | PageTableEntry.PWT;

  @Test
  void thirtyTwoBitPagingTakesBits31To12() {
    assertEquals(0x1234_5000L, PagingMode.BITS32.rootTable(CR3));
  }

  @Test
  void paeTakesBits31To5SoAPdptIs32ByteAligned() {
    assertEquals(0x1234_5660L, PagingMode.PAE.rootTable(CR3));
  }

  @Test
  void fourAndFiveLevelTakeBitsMMinus1To12() {
    long maxPhyAddr40 = ((1L << 40) - 1) & ~0xFFFL;
    assertEquals(0x00ff_1234_5000L, PagingMode.LEVEL4.rootTable(CR3, PagingMode.FRAME_MASK_64));
    assertEquals(0x00ff_1234_5000L, PagingMode.LEVEL5.rootTable(CR3, maxPhyAddr40));
    assertEquals(0x0000_1234_5000L, PagingMode.LEVEL4.rootTable(0x0100_1234_5000L, maxPhyAddr40));
  }

  @Test
  void pagingOffHasNoRoot() {
    assertEquals(0, PagingMode.DISABLED.rootTable(CR3));
  }
}
