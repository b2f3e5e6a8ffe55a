package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.mmu.PageFaultErrorCode.P;
import static org.kexecsim.mmu.PageFaultErrorCode.RSVD;
import static org.kexecsim.mmu.WalkFixture.VA;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reserved bits by mode, level and MAXPHYADDR (SDM Vol. 3A §4.3–4.5, the "reserved bit
 * checking" table). A set reserved bit in a present entry is #PF with P=1 and RSVD=1; QEMU
 * reports RSVD without P, hardware with both (research notes §2).
 */
class ReservedBitsTest {

  private static void assertReservedFault(WalkFixture f, String why) {
    Translation.Faulted t = f.faulted(VA, Access.READ);
    assertEquals(ExceptionVector.PF, t.vector(), why);
    assertEquals(P | RSVD, t.errorCode(), why);
    assertEquals(FaultCause.RESERVED_BIT, t.cause(), why);
    assertEquals(VA, t.cr2());
  }

  private static void assertMapped(WalkFixture f, String why) {
    f.mapped(VA, Access.READ);
  }

  @ParameterizedTest(name = "4-level level {0} bit {1}")
  @CsvSource({
    "4, 40", "3, 45", "2, 51", "1, 40", // 51:M with M = 40
    "4, 7" // PS is reserved in a PML4E
  })
  void fourLevelReservedBits(int level, int bit) {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setBits(level, 1L << bit);
    assertReservedFault(f, "bit " + bit + " at level " + level);
  }

  @Test
  void bits62To52AreIgnoredIn4LevelEntries() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    for (int level = 1; level <= 4; level++) {
      f.setBits(level, 0x7FF0_0000_0000_0000L);
    }
    assertMapped(f, "bits 62:52 are ignored (SDM Table 4-15..4-20)");
  }

  @Test
  void bit63IsReservedWithoutNxe() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.efer &= ~Efer.NXE;
    f.setBits(1, PageTableEntry.XD);
    assertReservedFault(f, "XD without EFER.NXE");
    f.efer |= Efer.NXE;
    assertMapped(f, "XD with NXE is just execute-disable");
  }

  @Test
  void maxPhyAddrMovesTheReservedBoundary() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setBits(1, 1L << 45);
    assertReservedFault(f, "bit 45 with M=40");
    f.features = CpuFeatures.withMaxPhyAddr(46);
    assertEquals((1L << 45) | WalkFixture.PA, f.mapped(VA, Access.READ).physical());
  }

  @ParameterizedTest(name = "1 GiB page bit {0}")
  @CsvSource({"13", "20", "29"})
  void oneGiBLeafBits29To13AreReserved(int bit) {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4, PageSize.SIZE_1G);
    f.setBits(3, 1L << bit);
    assertReservedFault(f, "1 GiB PDPTE bit " + bit);
  }

  @Test
  void psInAPdpteIsReservedWithout1GiBPageSupport() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4, PageSize.SIZE_1G);
    f.features = new CpuFeatures(40, false);
    assertReservedFault(f, "PS in a PDPTE without CPUID Page1GB");
  }

  @ParameterizedTest(name = "2 MiB page bit {0}")
  @CsvSource({"13", "16", "20"})
  void twoMiBLeafBits20To13AreReserved(int bit) {
    for (PagingMode mode : new PagingMode[] {PagingMode.PAE, PagingMode.LEVEL4}) {
      WalkFixture f = new WalkFixture(mode, PageSize.SIZE_2M);
      f.setBits(2, 1L << bit);
      assertReservedFault(f, mode + " 2 MiB PDE bit " + bit);
    }
  }

  @Test
  void bit12OfALargeLeafIsPatNotReserved() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4, PageSize.SIZE_2M);
    f.setBits(2, PageTableEntry.PAT_LARGE);
    assertEquals(WalkFixture.PA & ~0x1F_FFFFL | (VA & 0x1F_FFFFL), f.mapped(VA, Access.READ).physical());
  }

  /** In PAE paging bits 62:M are reserved, unlike 4-level paging where 62:52 are ignored. */
  @ParameterizedTest(name = "PAE level {0} bit {1}")
  @CsvSource({"2, 52", "1, 62", "1, 40"})
  void paeReservesBits62ToM(int level, int bit) {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(level, 1L << bit);
    assertReservedFault(f, "PAE bit " + bit);
  }

  /** SDM Table 4-5: a 4 MiB PDE reserves bit 21 and bits 20:(M-19); M is capped at 40. */
  @Test
  void pse4MiBPdeReservesBit21() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32, PageSize.SIZE_4M);
    f.setBits(2, 1L << 21);
    assertReservedFault(f, "bit 21 of a 4 MiB PDE");
  }

  @Test
  void pse4MiBPdeReservesTheBitsAbovePse36ForSmallerMaxPhyAddr() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32, PageSize.SIZE_4M);
    f.features = CpuFeatures.withMaxPhyAddr(36);
    f.setBits(2, 1L << 17); // M-19 = 17
    assertReservedFault(f, "bit 17 with M=36");
    f.clearBits(2, 1L << 17);
    f.setBits(2, 1L << 16); // PA bit 35
    assertEquals(1L << 35, f.mapped(VA, Access.READ).physical() & (1L << 35));
  }

  @Test
  void thirtyTwoBitPtesHaveNoReservedBits() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32);
    f.setBits(1, PageTableEntry.PS | PageTableEntry.G | 0xE00L);
    f.setBits(2, PageTableEntry.G | 0xE00L);
    assertMapped(f, "32-bit 4 KiB PTE/PDE bits are all defined or ignored");
  }

  /** Reserved bits are not checked when P=0 (SDM §4.7): the fault is a plain not-present one. */
  @Test
  void notPresentEntriesAreNotCheckedForReservedBits() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setEntry(1, (1L << 45) | PageTableEntry.RW);
    Translation.Faulted t = f.faulted(VA, Access.READ);
    assertEquals(0, t.errorCode());
    assertEquals(FaultCause.NOT_PRESENT, t.cause());
  }

  /** Per level, present then reserved; a higher level's fault wins over a lower one's. */
  @Test
  void aHigherLevelFaultWins() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setBits(1, 1L << 45);
    f.setBits(3, 1L << 44);
    Translation.Faulted t = f.faulted(VA, Access.READ);
    assertEquals("PDPTE", t.steps().getLast().table());
  }
}
