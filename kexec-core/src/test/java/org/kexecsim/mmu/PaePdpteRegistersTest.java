package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.mmu.WalkFixture.VA;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SDM Vol. 3A §4.4.1: loading CR3 in PAE paging loads the four PDPTEs into registers; a present
 * PDPTE with a reserved bit (R/W, U/S, A, D, PS, G, bits above MAXPHYADDR, bit 63) makes the load
 * #GP(0), and walks use the registers, not memory. QEMU checks none of this; hardware does, which
 * is why the first 2006 patch (0x63 in page_table_a's PDPTEs) failed only on real machines.
 */
class PaePdpteRegistersTest {

  private static ControlWrite loadCr3(WalkFixture f) {
    return ControlRegisterRules.establish(f.cr0, f.builder.root(), f.cr4, f.efer, f.memory, f.features);
  }

  @ParameterizedTest(name = "PDPTE bit {0}")
  @ValueSource(ints = {1, 2, 5, 6, 7, 8, 40, 52, 63})
  void aPresentPdpteWithAReservedBitMakesTheCr3LoadFault(int bit) {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(3, 1L << bit);
    ControlWrite.Refused r = assertInstanceOf(ControlWrite.Refused.class, loadCr3(f));
    assertEquals(ExceptionVector.GP, r.vector());
    assertEquals(0, r.errorCode());
  }

  @Test
  void linuxKernpgTableFlagsInAPdpteAreTheV1Bug() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    long address = f.entryAddress(3);
    long pd = f.entry(3) & ~0xFFFL;
    f.memory.writeU64(address, pd | PageTableEntry.KERNPG_TABLE); // 0x63, as V1 wrote
    assertInstanceOf(ControlWrite.Refused.class, loadCr3(f));
    f.memory.writeU64(address, pd | PageTableEntry.P); // present-only, as V2 fixed it
    assertInstanceOf(ControlWrite.Accepted.class, loadCr3(f));
  }

  @Test
  void ignoredBitsAndNotPresentEntriesLoadFine() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(3, PageTableEntry.PWT | PageTableEntry.PCD | 0xE00L); // 3, 4 and 11:9 are allowed
    long other = f.builder.root() + 8 * ((VA >>> 30) ^ 1);
    f.memory.writeU64(other, 0xFFFF_FFFF_FFFF_FFFEL); // P=0: nothing is checked
    assertInstanceOf(ControlWrite.Accepted.class, loadCr3(f));
  }

  @Test
  void walksUseTheLoadedRegistersNotMemory() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    PagingState loaded = f.state();
    f.setEntry(3, 0); // clear the PDPTE in memory after the load
    assertInstanceOf(Translation.Mapped.class, PageWalker.translate(f.memory, loaded, VA, Access.READ));
    Translation.Faulted t = f.faulted(VA, Access.READ); // a new CR3 load sees the change
    assertEquals(FaultCause.NOT_PRESENT, t.cause());
  }

  @Test
  void aFailedLoadLeavesTheOldStateInPlace() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    ControlState before = ((ControlWrite.Accepted) loadCr3(f)).state();
    long bad = 0x0300_0000L; // a PDPT full of KERNPG_TABLE entries
    for (int i = 0; i < 4; i++) {
      f.memory.writeU64(bad + 8L * i, 0x0100_0000L | PageTableEntry.KERNPG_TABLE);
    }
    ControlWrite w = ControlRegisterRules.write(before, ControlRegister.CR3, bad, false, 0, f.memory, f.features, CpuModel.HARDWARE);
    assertTrue(w instanceof ControlWrite.Refused);
    assertEquals(before.cr3(), ((ControlWrite.Accepted) loadCr3(f)).state().cr3()); // unchanged fixture
  }

  /** Table 4-8: CR0/CR4 writes that change PG, CD, NW, PAE, PGE, PSE or SMEP reload the PDPTEs. */
  @Test
  void togglingPgeReloadsAndChecksThePdptes() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    ControlState s = ((ControlWrite.Accepted) loadCr3(f)).state();
    f.setBits(3, PageTableEntry.RW);
    assertInstanceOf(ControlWrite.Refused.class,
        ControlRegisterRules.write(s, ControlRegister.CR4, s.cr4() | Cr4.PGE, false, 0, f.memory, f.features, CpuModel.HARDWARE));
    assertInstanceOf(ControlWrite.Accepted.class,
        ControlRegisterRules.write(s, ControlRegister.CR4, s.cr4() | Cr4.OSFXSR, false, 0, f.memory, f.features, CpuModel.HARDWARE),
        "a CR4 bit outside the list does not reload");
  }

  @Test
  void enablingPaePagingThroughCr0LoadsThePdptes() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(3, PageTableEntry.US);
    ControlState off = new ControlState(Cr0.PE, f.builder.root(), Cr4.PAE, 0, Pdptes.NONE);
    ControlWrite w = ControlRegisterRules.write(off, ControlRegister.CR0, Cr0.PE | Cr0.PG, false, 0, f.memory, f.features, CpuModel.HARDWARE);
    assertInstanceOf(ControlWrite.Refused.class, w);
  }
}
