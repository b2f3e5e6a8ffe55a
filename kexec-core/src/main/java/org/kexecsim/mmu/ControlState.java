package org.kexecsim.mmu;

/**
 * The control registers that decide how linear addresses translate, plus the PDPTE registers
 * PAE paging loaded from them. Changed only through {@link ControlRegisterRules}, which applies
 * the SDM's checks.
 */
public record ControlState(long cr0, long cr3, long cr4, long efer, Pdptes pdptes) {

  /** Protected mode, paging off: the state the relocate routines reach after clearing PG. */
  public static final ControlState PROTECTED_NO_PAGING =
      new ControlState(Cr0.PE | Cr0.ET | Cr0.NE, 0, 0, 0, Pdptes.NONE);

  public PagingMode mode() {
    return PagingMode.of(cr0, cr4, efer);
  }

  /** PAE paging in use: CR0.PG=1, CR4.PAE=1, EFER.LMA=0; the case with PDPTE registers. */
  public boolean paePagingActive() {
    return mode() == PagingMode.PAE;
  }

  public boolean longModeActive() {
    return (efer & Efer.LMA) != 0;
  }
}
