package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.mmu.WalkFixture.PA;
import static org.kexecsim.mmu.WalkFixture.VA;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One walker, two policies for reserved bits: the CPU faults (SDM §4.4.1 for PAE PDPTEs at CR3
 * load, §4.7 #PF with RSVD elsewhere); a dump analyzer translates through the entry the machine
 * ran with and reports the bits.
 */
class ReservedBitPolicyTest {

  private static PagingState reporting(WalkFixture f) {
    ControlWrite w = ControlRegisterRules.establish(
        f.cr0, f.builder.root(), f.cr4, f.efer, f.memory, f.features, ReservedBitPolicy.REPORT);
    return PagingState.of(assertInstanceOf(ControlWrite.Accepted.class, w, w.toString()).state(), f.features,
        ReservedBitPolicy.REPORT);
  }

  @Test
  void aPaePdpteWithTheAccessedBitQemuSetsIsAGpForTheCpuAndATranslationWithAFindingForAnAnalyzer() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(3, PageTableEntry.A); // what QEMU TCG's walker leaves in every PDPTE it used
    ControlWrite cpu = ControlRegisterRules.establish(f.cr0, f.builder.root(), f.cr4, f.efer, f.memory, f.features);
    ControlWrite.Refused gp = assertInstanceOf(ControlWrite.Refused.class, cpu);
    assertEquals(ExceptionVector.GP, gp.vector());
    assertTrue(gp.rule().contains("reserved bits 0x20"), gp.rule());

    PagingState analyzer = reporting(f);
    Translation.Mapped m = assertInstanceOf(Translation.Mapped.class,
        new PageWalker(f.memory).translate(analyzer, VA, Access.READ, false));
    assertEquals(PA, m.physical());
    List<ReservedBitFinding> found = ReservedBitFinding.of(PagingMode.PAE, m.steps());
    assertEquals(1, found.size(), found.toString());
    ReservedBitFinding r = found.getFirst();
    assertEquals("PDPTE", r.step().table());
    assertEquals((int) (VA >>> 30), r.step().index());
    assertEquals(PageTableEntry.A, r.bits());
    assertEquals("A", r.bitNames());
    assertTrue(r.paePdpte());
    assertTrue(r.hardware().contains("#GP(0)"), r.hardware());
  }

  @Test
  void aPsBitInAPml4eFaultsOnTheCpuAndIsReadOnAsATablePointerByAnAnalyzer() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setBits(4, PageTableEntry.PS); // PS is reserved in a PML4E (SDM §4.5, Table 4-15)
    Translation.Faulted cpu = f.faulted(VA, Access.READ);
    assertEquals(PageFaultErrorCode.P | PageFaultErrorCode.RSVD, cpu.errorCode());
    assertEquals(PageTableEntry.PS, cpu.steps().getFirst().reservedBits(), "the faulting step says which bits");

    PagingState analyzer = reporting(f);
    PageWalker w = new PageWalker(f.memory);
    Translation.Mapped m = assertInstanceOf(Translation.Mapped.class, w.translate(analyzer, VA, Access.READ, false));
    assertEquals(PA, m.physical());
    ReservedBitFinding r = ReservedBitFinding.of(PagingMode.LEVEL4, m.steps()).getFirst();
    assertEquals("PML4E", r.step().table());
    assertEquals("PS", r.bitNames());
    assertTrue(r.hardware().contains("P|RSVD"), r.hardware());

    long[] out = new long[1];
    w.walkAll(analyzer, new long[] {VA}, out, 1, Access.READ);
    assertEquals(PA, out[0], "the batched walk applies the same policy");
  }

  @Test
  void reservedAddressBitsInALargePdeAreReportedAndMaskedOffTheFrame() {
    WalkFixture f = new WalkFixture(PagingMode.PAE, PageSize.SIZE_2M);
    f.setBits(2, 1L << 13); // 20:13 are reserved in a 2 MiB PAE PDE (SDM §4.4.2, Table 4-10)
    assertEquals(PageFaultErrorCode.P | PageFaultErrorCode.RSVD, f.faulted(VA, Access.READ).errorCode());
    Translation.Mapped m = assertInstanceOf(Translation.Mapped.class,
        new PageWalker(f.memory).translate(reporting(f), VA, Access.READ, false));
    assertEquals((PA & ~0x1F_FFFFL) | (VA & 0x1F_FFFFL), m.physical());
    assertEquals(1L << 13, ReservedBitFinding.of(PagingMode.PAE, m.steps()).getFirst().bits());
  }
}
