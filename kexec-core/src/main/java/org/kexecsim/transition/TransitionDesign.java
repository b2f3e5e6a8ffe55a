package org.kexecsim.transition;

import java.util.List;
import org.kexecsim.kimage.Arch;

/**
 * A way to build the page tables that carry the CPU from the crashed kernel's address space to
 * the identity-mapped control page: one per era of arch/x86/kernel/machine_kexec_{32,64}.c.
 */
public sealed interface TransitionDesign
    permits LegacyDesign, PageTableADesign, SingleTableDesign, MainlineDesign {

  /** legacy, page-table-a, single-table, mainline. */
  String cliName();

  /** Pages in the control code block the design asks kimage_alloc_init for (KEXEC_CONTROL_PAGE_SIZE). */
  default int controlCodePages(Arch arch) {
    return 1;
  }

  /** Where in the control block the relocation code goes. */
  default long codeOffset(Arch arch) {
    return 0;
  }

  /**
   * machine_kexec_prepare(), plus for the legacy designs what machine_kexec() itself did to the
   * live tables. The code is already in the control page.
   */
  TransitionTables prepare(TransitionContext context);

  static List<TransitionDesign> all() {
    return List.of(LegacyDesign.INSTANCE, PageTableADesign.INSTANCE, SingleTableDesign.INSTANCE, MainlineDesign.INSTANCE);
  }

  static TransitionDesign fromCliName(String name) {
    for (TransitionDesign d : all()) {
      if (d.cliName().equals(name)) {
        return d;
      }
    }
    throw new org.kexecsim.kimage.ImpossibleLayoutException(
        "unknown design '" + name + "': expected legacy, page-table-a, single-table or mainline");
  }
}
