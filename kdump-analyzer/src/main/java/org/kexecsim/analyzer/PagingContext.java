package org.kexecsim.analyzer;

import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;

/**
 * The paging state analyses walk with, and where its pieces came from, so every report can say
 * which CR3 it used and why.
 *
 * @param rootSource e.g. "--cr3", "QEMU note of CPU 0", "VMCOREINFO SYMBOL(init_top_pgt)"
 * @param modeSource e.g. "--mode", "QEMU note of CPU 0 (CR0/CR4)", "VMCOREINFO"
 */
public record PagingContext(PagingState state, String rootSource, String modeSource) {
  public PagingMode mode() {
    return state.mode();
  }

  /** The root table: PD, PDPT, PML4 or PML5. */
  public long root() {
    return state.rootPhysical();
  }
}
