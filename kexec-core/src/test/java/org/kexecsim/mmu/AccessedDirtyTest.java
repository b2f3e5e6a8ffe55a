package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.mmu.PageTableEntry.A;
import static org.kexecsim.mmu.PageTableEntry.D;
import static org.kexecsim.mmu.WalkFixture.VA;

import org.junit.jupiter.api.Test;

/** SDM §4.8: the CPU sets A in every entry it uses and D in the leaf on a write. */
class AccessedDirtyTest {

  private static long flagsAt(WalkFixture f, int level) {
    return f.entry(level) & (A | D);
  }

  private static WalkFixture cleared(PagingMode mode) {
    WalkFixture f = new WalkFixture(mode);
    for (int level = 1; level <= mode.levels(); level++) {
      if (!(mode == PagingMode.PAE && level == 3)) {
        f.clearBits(level, A | D);
      }
    }
    return f;
  }

  @Test
  void aReadSetsAccessedEverywhereAndDirtyNowhere() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    new PageWalker(f.memory).translate(f.state(), VA, Access.READ, true);
    for (int level = 1; level <= 4; level++) {
      assertEquals(A, flagsAt(f, level), "level " + level);
    }
  }

  @Test
  void aWriteSetsDirtyInTheLeafOnly() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    new PageWalker(f.memory).translate(f.state(), VA, Access.WRITE, true);
    assertEquals(A | D, flagsAt(f, 1));
    assertEquals(A, flagsAt(f, 2));
  }

  @Test
  void aWalkThatIsNotAskedToLeavesMemoryAlone() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    new PageWalker(f.memory).translate(f.state(), VA, Access.WRITE, false);
    assertEquals(0, flagsAt(f, 1));
  }

  @Test
  void aFaultingAccessSetsNothing() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    f.clearBits(1, PageTableEntry.RW);
    new PageWalker(f.memory).translate(f.state(), VA, Access.WRITE, true);
    assertEquals(0, flagsAt(f, 1));
    assertEquals(0, flagsAt(f, 4));
  }

  @Test
  void paePdptesAreNeverWritten() {
    WalkFixture f = cleared(PagingMode.PAE);
    long pdpte = f.memory.readU64(f.entryAddress(3));
    new PageWalker(f.memory).translate(f.state(), VA, Access.WRITE, true);
    assertEquals(pdpte, f.memory.readU64(f.entryAddress(3)));
    assertEquals(A | D, flagsAt(f, 1));
    assertEquals(A, flagsAt(f, 2));
  }

  @Test
  void thirtyTwoBitEntriesGetTheirBitsToo() {
    WalkFixture f = cleared(PagingMode.BITS32);
    new PageWalker(f.memory).translate(f.state(), VA, Access.WRITE, true);
    assertEquals(A | D, flagsAt(f, 1));
    assertEquals(A, flagsAt(f, 2));
  }
}
