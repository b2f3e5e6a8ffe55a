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

  /** A walk of {@link WalkFixture#VA} for {@code access}, setting A/D when {@code setAccessedDirty}. */
  private static void walk(WalkFixture f, int access, boolean setAccessedDirty) {
    new PageWalker(f.memory).translate(f.state(), VA, access, setAccessedDirty);
  }

  /** What a write leaves: A and D in the leaf, A (only) in the table entry above it. */
  private static void assertWriteMarked(WalkFixture f) {
    assertEquals(A | D, flagsAt(f, 1));
    assertEquals(A, flagsAt(f, 2));
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
    walk(f, Access.READ, true);
    for (int level = 1; level <= 4; level++) {
      assertEquals(A, flagsAt(f, level), "level " + level);
    }
  }

  @Test
  void aWriteSetsDirtyInTheLeafOnly() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    walk(f, Access.WRITE, true);
    assertWriteMarked(f);
  }

  @Test
  void aWalkThatIsNotAskedToLeavesMemoryAlone() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    walk(f, Access.WRITE, false);
    assertEquals(0, flagsAt(f, 1));
  }

  @Test
  void aFaultingAccessSetsNothing() {
    WalkFixture f = cleared(PagingMode.LEVEL4);
    f.clearBits(1, PageTableEntry.RW);
    walk(f, Access.WRITE, true);
    assertEquals(0, flagsAt(f, 1));
    assertEquals(0, flagsAt(f, 4));
  }

  @Test
  void paePdptesAreNeverWritten() {
    WalkFixture f = cleared(PagingMode.PAE);
    long pdpte = f.memory.readU64(f.entryAddress(3));
    walk(f, Access.WRITE, true);
    assertEquals(pdpte, f.memory.readU64(f.entryAddress(3)));
    assertWriteMarked(f);
  }

  @Test
  void thirtyTwoBitEntriesGetTheirBitsToo() {
    WalkFixture f = cleared(PagingMode.BITS32);
    walk(f, Access.WRITE, true);
    assertWriteMarked(f);
  }
}
