package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.kexecsim.mmu.WalkFixture.PA;
import static org.kexecsim.mmu.WalkFixture.VA;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every mode translates every page size it has (SDM Vol. 3A §4.3–4.5). */
class TranslationTest {

  static List<Arguments> modesAndSizes() {
    return List.of(
        Arguments.of(PagingMode.BITS32, PageSize.SIZE_4K, List.of("PDE", "PTE")),
        Arguments.of(PagingMode.BITS32, PageSize.SIZE_4M, List.of("PDE")),
        Arguments.of(PagingMode.PAE, PageSize.SIZE_4K, List.of("PDPTE", "PDE", "PTE")),
        Arguments.of(PagingMode.PAE, PageSize.SIZE_2M, List.of("PDPTE", "PDE")),
        Arguments.of(PagingMode.LEVEL4, PageSize.SIZE_4K, List.of("PML4E", "PDPTE", "PDE", "PTE")),
        Arguments.of(PagingMode.LEVEL4, PageSize.SIZE_2M, List.of("PML4E", "PDPTE", "PDE")),
        Arguments.of(PagingMode.LEVEL4, PageSize.SIZE_1G, List.of("PML4E", "PDPTE")),
        Arguments.of(PagingMode.LEVEL5, PageSize.SIZE_4K, List.of("PML5E", "PML4E", "PDPTE", "PDE", "PTE")),
        Arguments.of(PagingMode.LEVEL5, PageSize.SIZE_2M, List.of("PML5E", "PML4E", "PDPTE", "PDE")),
        Arguments.of(PagingMode.LEVEL5, PageSize.SIZE_1G, List.of("PML5E", "PML4E", "PDPTE")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("modesAndSizes")
  void translatesThroughEachLevelOfTheMode(PagingMode mode, PageSize size, List<String> tables) {
    WalkFixture f = new WalkFixture(mode, size);
    long mask = size.bytes() - 1;
    Translation.Mapped m = f.mapped(VA, Access.READ);
    assertEquals((PA & ~mask) | (VA & mask), m.physical());
    assertEquals(size, m.pageSize());
    assertEquals(tables, m.steps().stream().map(WalkStep::table).toList());
  }

  @Test
  void pdeIndexComesFromBits31To22In32BitPaging() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32);
    assertEquals(f.builder.root() + 4 * (VA >>> 22), f.entryAddress(2));
    assertEquals((VA >>> 12) & 1023, f.translate(Access.READ).steps().get(1).index());
  }

  @Test
  void longModeIndicesAreNineBitsPerLevel() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    List<WalkStep> steps = f.mapped(VA, Access.READ).steps();
    assertEquals(List.of(0, 1, 1, 3), steps.stream().map(WalkStep::index).toList()); // 0x4020_3000
  }

  /** SDM §4.3: with CR4.PSE=0 the PS bit of a PDE is ignored; the PDE points to a page table. */
  @Test
  void psIsIgnoredWithoutCr4Pse() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32);
    f.cr4 &= ~Cr4.PSE;
    f.setBits(2, PageTableEntry.PS);
    Translation.Mapped m = f.mapped(VA, Access.READ);
    assertEquals(PageSize.SIZE_4K, m.pageSize());
    assertEquals(PA, m.physical());
  }

  /** SDM §4.3, Table 4-4: PSE-36 puts PA[M-1:32] in PDE bits (M-20):13, M capped at 40. */
  @Test
  void pse36MapsA4MiBPageAbove4GiB() {
    WalkFixture f = new WalkFixture(PagingMode.BITS32, PageSize.SIZE_4M);
    f.setEntry(2, (f.entry(2) & 0xFFC0_1FFFL) | (0xABL << 13));
    assertEquals(0xAB_0000_0000L | (PA & ~0x3F_FFFFL) | (VA & 0x3F_FFFFL), f.mapped(VA, Access.READ).physical());
  }

  @Test
  void pagingDisabledIsIdentityOn32Bits() {
    PagingState s = PagingState.of(ControlState.PROTECTED_NO_PAGING, CpuFeatures.DEFAULT);
    Translation.Mapped m = (Translation.Mapped) PageWalker.translate(org.kexecsim.testing.Machines.ram(1 << 20), s, 0x1_0000_1234L, Access.READ);
    assertEquals(0x1234L, m.physical());
    assertFalse(m.steps().iterator().hasNext());
  }

  /** 32-bit modes see 32-bit linear addresses (SDM §3.3.7: only IA-32e mode has 64-bit ones). */
  @Test
  void paeTruncatesLinearAddressesTo32Bits() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    assertEquals(PA, f.mapped(0xFFFF_FFFF_0000_0000L | VA, Access.READ).physical());
  }
}
