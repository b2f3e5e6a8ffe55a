package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import org.junit.jupiter.api.Test;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.testing.Machines;

/** SDM Vol. 2 "MOV—Move to/from Control Registers", "WRMSR"; Vol. 3A §2.5, §4.1, §9.8.5. */
class ControlRegisterRulesTest {
  private final SparseMemory memory = Machines.ram(16L << 20);
  private static final long PG_ON = Cr0.PE | Cr0.PG | Cr0.ET | Cr0.NE;
  private static final ControlState LONG_MODE =
      new ControlState(PG_ON, 0x1000, Cr4.PAE, Efer.LME | Efer.LMA | Efer.NXE, Pdptes.NONE);
  private static final ControlState PROTECTED_PAGING =
      new ControlState(PG_ON, 0x1000, Cr4.PSE, 0, Pdptes.NONE);

  private ControlWrite write(ControlState s, ControlRegister r, long v, boolean in64) {
    return ControlRegisterRules.write(s, r, v, in64, 0, memory, CpuFeatures.DEFAULT, CpuModel.HARDWARE);
  }

  private ControlState accepted(ControlWrite w) {
    return assertInstanceOf(ControlWrite.Accepted.class, w, w.toString()).state();
  }

  private void refused(ControlWrite w) {
    ControlWrite.Refused r = assertInstanceOf(ControlWrite.Refused.class, w, w.toString());
    assertEquals(ExceptionVector.GP, r.vector());
    assertEquals(0, r.errorCode());
  }

  @Test
  void clearingPgIn64BitModeIsGeneralProtection() {
    refused(write(LONG_MODE, ControlRegister.CR0, PG_ON & ~Cr0.PG, true));
  }

  @Test
  void clearingPgInCompatibilityModeLeavesIa32eMode() {
    ControlState s = accepted(write(LONG_MODE, ControlRegister.CR0, PG_ON & ~Cr0.PG, false));
    assertEquals(0, s.efer() & Efer.LMA);
    assertEquals(Efer.LME, s.efer() & Efer.LME);
    assertEquals(PagingMode.DISABLED, s.mode());
  }

  @Test
  void settingPgWithLmeNeedsPae() {
    ControlState off = new ControlState(Cr0.PE, 0x1000, 0, Efer.LME, Pdptes.NONE);
    refused(write(off, ControlRegister.CR0, PG_ON, false));
    ControlState withPae = new ControlState(Cr0.PE, 0x1000, Cr4.PAE, Efer.LME, Pdptes.NONE);
    ControlState on = accepted(write(withPae, ControlRegister.CR0, PG_ON, false));
    assertEquals(Efer.LMA, on.efer() & Efer.LMA);
    assertEquals(PagingMode.LEVEL4, on.mode());
  }

  @Test
  void pgNeedsPeAndNwNeedsCd() {
    ControlState off = ControlState.PROTECTED_NO_PAGING;
    refused(write(off, ControlRegister.CR0, Cr0.PG, false));
    refused(write(off, ControlRegister.CR0, Cr0.PE | Cr0.NW, false));
    accepted(write(off, ControlRegister.CR0, Cr0.PE | Cr0.NW | Cr0.CD, false));
    refused(write(off, ControlRegister.CR0, Cr0.PE | (1L << 32), false));
  }

  @Test
  void controlRegistersNeedCpl0() {
    refused(ControlRegisterRules.write(PROTECTED_PAGING, ControlRegister.CR3, 0x2000, false, 3, memory, CpuFeatures.DEFAULT, CpuModel.HARDWARE));
  }

  @Test
  void cr3BitsAboveMaxPhyAddrFaultIn64BitMode() {
    refused(write(LONG_MODE, ControlRegister.CR3, 1L << 40, true));
    assertEquals((1L << 39) | 0x2000, accepted(write(LONG_MODE, ControlRegister.CR3, (1L << 39) | 0x2000, true)).cr3());
  }

  @Test
  void cr3IsA32BitOperandOutsideIa32eMode() {
    assertEquals(0x2000L, accepted(write(PROTECTED_PAGING, ControlRegister.CR3, 0xABCD_0000_0000_2000L, false)).cr3());
  }

  @Test
  void pcidNoFlushBitIsNotStored() {
    ControlState pcid = new ControlState(PG_ON, 0x1000, Cr4.PAE | Cr4.PCIDE, Efer.LME | Efer.LMA, Pdptes.NONE);
    assertEquals(0x2005L, accepted(write(pcid, ControlRegister.CR3, (1L << 63) | 0x2005, true)).cr3());
  }

  @Test
  void ia32eModeKeepsPaeAndLa57() {
    refused(write(LONG_MODE, ControlRegister.CR4, 0, true));
    refused(write(LONG_MODE, ControlRegister.CR4, Cr4.PAE | Cr4.LA57, true));
    accepted(write(LONG_MODE, ControlRegister.CR4, Cr4.PAE | Cr4.PGE, true));
  }

  @Test
  void cr4ReservedBitsAndPcideOutsideLongModeFault() {
    refused(write(PROTECTED_PAGING, ControlRegister.CR4, 1L << 15, false));
    refused(write(PROTECTED_PAGING, ControlRegister.CR4, Cr4.PCIDE, false));
    ControlState cr3NotAligned = new ControlState(PG_ON, 0x1001, Cr4.PAE, Efer.LME | Efer.LMA, Pdptes.NONE);
    refused(write(cr3NotAligned, ControlRegister.CR4, Cr4.PAE | Cr4.PCIDE, true));
  }

  @Test
  void lmeCannotChangeWhilePagingAndLmaIsReadOnly() {
    refused(write(PROTECTED_PAGING, ControlRegister.EFER, Efer.LME, false));
    ControlState off = ControlState.PROTECTED_NO_PAGING;
    assertEquals(Efer.LME, accepted(write(off, ControlRegister.EFER, Efer.LME | Efer.LMA, false)).efer());
    refused(write(off, ControlRegister.EFER, 1L << 20, false));
    assertEquals(Efer.LMA | Efer.LME | Efer.NXE, accepted(write(LONG_MODE, ControlRegister.EFER, Efer.LME | Efer.NXE, true)).efer());
  }

  @Test
  void thirtyTwoBitToPaeByTogglingCr4PaeWithPagingOn() {
    long pdpt = 0x3000;
    memory.writeU64(pdpt, 0x4000 | PageTableEntry.P);
    ControlState s = new ControlState(PG_ON, pdpt, 0, 0, Pdptes.NONE);
    ControlState pae = accepted(write(s, ControlRegister.CR4, Cr4.PAE, false));
    assertEquals(PagingMode.PAE, pae.mode());
    assertEquals(0x4000 | PageTableEntry.P, pae.pdptes().e0());
  }
}
