package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

/** SDM §3.3.7.1: with LMA=1, bits 63:47 (63:56 with LA57) must equal bit 47 (56); else #GP(0), no walk, no CR2. */
class CanonicalAddressTest {

  @Test
  void nonCanonicalIsGeneralProtectionWithoutAWalk() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    Translation.Faulted t = f.faulted(0x0000_8000_0000_0000L, Access.READ);
    assertEquals(ExceptionVector.GP, t.vector());
    assertEquals(0, t.errorCode());
    assertFalse(t.writesCr2());
    assertTrue(t.steps().isEmpty());
    assertThrows(IllegalStateException.class, t::cr2);
  }

  @Test
  void the57BitSpaceOfLa57AcceptsWhat4LevelRejects() {
    SparseMemory m = Machines.ram(64L << 20);
    long va = 0x00FF_8000_0000_0000L; // canonical in 57 bits, not in 48
    for (PagingMode mode : new PagingMode[] {PagingMode.LEVEL4, PagingMode.LEVEL5}) {
      PageTableBuilder b = PageTableBuilder.create(m, mode, new BumpFrameAllocator(mode == PagingMode.LEVEL4 ? 32L << 20 : 48L << 20, 64L << 20));
      if (mode == PagingMode.LEVEL5) {
        b.map(va, 0x5000, 4096, PageTableEntry.PAGE_KERNEL_EXEC, org.kexecsim.mmu.PageSize.SIZE_4K);
      }
      Translation t = PageWalker.translate(m, Machines.paging(m, mode, b.root()), va, Access.READ);
      if (mode == PagingMode.LEVEL4) {
        assertEquals(ExceptionVector.GP, ((Translation.Faulted) t).vector());
      } else {
        assertEquals(0x5000L, ((Translation.Mapped) t).physical());
      }
    }
    WalkFixture f5 = new WalkFixture(PagingMode.LEVEL5);
    assertEquals(ExceptionVector.GP, f5.faulted(0x0100_0000_0000_0000L, Access.READ).vector());
  }

  @Test
  void kernelHalfAddressesAreCanonical() {
    SparseMemory m = Machines.ram(64L << 20);
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.LEVEL4, new BumpFrameAllocator(32L << 20, 64L << 20));
    b.map(0xFFFF_FFFF_8100_0000L, 0x100_0000L, 2L << 20, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_2M);
    Translation.Mapped t = (Translation.Mapped) PageWalker.translate(m, Machines.paging(m, PagingMode.LEVEL4, b.root()), 0xFFFF_FFFF_8100_0123L, Access.FETCH);
    assertEquals(0x100_0123L, t.physical());
    assertEquals(511, t.steps().getFirst().index());
  }
}
