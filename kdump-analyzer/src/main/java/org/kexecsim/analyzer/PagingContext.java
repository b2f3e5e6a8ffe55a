package org.kexecsim.analyzer;

import java.util.List;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.ReservedBitFinding;

/**
 * The paging state analyses walk with, and where its pieces came from, so every report can say
 * which CR3 it used and why.
 *
 * @param rootSource e.g. "--cr3", "QEMU note of CPU 0: CR3 0x… used as is (…)", "VMCOREINFO SYMBOL(init_top_pgt) …"
 * @param modeSource e.g. "--mode", "QEMU note of CPU 0 (CR0/CR4)", "VMCOREINFO"
 * @param rootFindings reserved bits in what loading this CR3 reads (the four PAE PDPTEs): a CPU
 *     would refuse the load with #GP(0), the machine that wrote the dump ran with it
 */
public record PagingContext(PagingState state, String rootSource, String modeSource, List<ReservedBitFinding> rootFindings) {
  public PagingContext {
    rootFindings = List.copyOf(rootFindings);
  }

  public PagingContext(PagingState state, String rootSource, String modeSource) {
    this(state, rootSource, modeSource, List.of());
  }

  public PagingMode mode() {
    return state.mode();
  }

  /** The root table: PD, PDPT, PML4 or PML5. */
  public long root() {
    return state.rootPhysical();
  }

  /** One line: mode, root, and where each came from. */
  public String describe() {
    return String.format("%s, root 0x%x (%s; mode from %s)", mode().cliName(), root(), rootSource, modeSource);
  }
}
