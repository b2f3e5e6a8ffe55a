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

  /**
   * Where in the control block the relocation code goes: its last page. A two-page x86_64 block
   * holds the pgd first, then the code (machine_kexec_64.c before 6.14: control_page + PAGE_SIZE).
   */
  default long codeOffset(Arch arch) {
    return (controlCodePages(arch) - 1L) * org.kexecsim.memory.PhysicalMemory.PAGE_SIZE;
  }

  // ---- what its routine expects and how it is judged: each design answers for its era ----

  /**
   * Whether machine_kexec() itself wrote the live tables at crash time (2.6.16's
   * identity_map_page() and the x86_64 pgd copy): those writes come after the crash snapshot,
   * and the crashed kernel's pgd is then not expected to survive.
   */
  default boolean writesLiveTablesAtCrash() {
    return false;
  }

  /** Whether the crashed kernel's current pgd must survive the transition byte for byte. */
  default boolean preservesLivePgd() {
    return !writesLiveTablesAtCrash();
  }

  /**
   * Whether its era calls relocate_kernel with 6.1's page_list[] convention
   * (arch/x86/kernel/machine_kexec_{32,64}.c, 6.1); the older designs use the project's own.
   */
  default boolean linux61Convention() {
    return false;
  }

  /**
   * Whether kexec_load makes the control page's direct-map alias executable (set_memory_x in
   * machine_kexec_prepare(), i386 with NX since 2.6.2x).
   */
  default boolean makesControlPageExecutable(Arch arch) {
    return false;
  }

  /** Under the project's own convention, the table the routine is handed to load. */
  default long routineTable(Arch arch, PrepareReport prep) {
    return prep.switchRoot();
  }

  /** i386, own convention: whether relocate_new_kernel takes a page-table argument on the stack. */
  default boolean passesTableOnStack() {
    return true;
  }

  /**
   * Whether machine_kexec()'s C side zapped the GDT and IDT (2.6.16 both arches, mainline
   * i386), rather than the routine's assembly (the 2006 patch, x86_64 since 6.14).
   */
  default boolean zapsDescriptorTablesInC(Arch arch) {
    return false;
  }

  /** Whether its routine carries its own copy loop (6.1's swap_pages) instead of the shared copy tail. */
  default boolean routineHasOwnCopyLoop() {
    return false;
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
