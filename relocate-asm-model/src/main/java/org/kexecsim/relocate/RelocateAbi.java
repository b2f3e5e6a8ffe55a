package org.kexecsim.relocate;

import org.kexecsim.input.CliNamed;
import org.kexecsim.transition.TransitionDesign;

/**
 * How machine_kexec calls the relocate code: what it passes, where, and what it has set up.
 */
public enum RelocateAbi implements CliNamed {
  /**
   * The project's own routines for the historical designs: arguments in registers on x86_64
   * (%rdi list head, %rsi control page PA, %rdx entry, %rcx switch table, %r8 copy table) and on
   * the stack on i386 (head, control page, entry, [table,] has_pae); see each .S header.
   */
  OWN("own"),
  /**
   * Linux 6.1 (Debian 12), arch/x86/kernel/machine_kexec_{32,64}.c and
   * arch/x86/include/asm/kexec.h. x86_64: {@code relocate_kernel(indirection_page, page_list,
   * start_address, preserve_context, host_mem_enc_active)} in %rdi %rsi %rdx %rcx %r8, called at
   * its kernel-text VA, with page_list[] = {PA_CONTROL_PAGE 0, VA_CONTROL_PAGE 1, PA_TABLE_PAGE 2,
   * PA_SWAP_PAGE 3}. i386: {@code relocate_kernel(indirection_page, page_list, start_address,
   * has_pae, preserve_context)} on the stack, called at __va(control page), with page_list[] =
   * {PA_CONTROL_PAGE 0, VA_CONTROL_PAGE 1, PA_PGD 2, PA_SWAP_PAGE 3}. page_list is a local array of
   * machine_kexec, so it lives on the kernel stack; PA_SWAP_PAGE is set only for a normal image.
   * The GDT and IDT are invalidated in C after load_segments().
   */
  LINUX_6_1("6.1");

  /** page_list[] indices of the 6.1 ABI (arch/x86/include/asm/kexec.h). */
  public static final int PA_CONTROL_PAGE = 0;
  public static final int VA_CONTROL_PAGE = 1;
  /** PA_TABLE_PAGE on x86_64, PA_PGD on i386: the same slot. */
  public static final int PA_TABLE_PAGE = 2;
  public static final int PA_SWAP_PAGE = 3;
  public static final int PAGES_NR = 4;

  private final String cliName;

  RelocateAbi(String cliName) {
    this.cliName = cliName;
  }

  @Override
  public String cliName() {
    return cliName;
  }

  /** The convention a design's era used: 6.1 for mainline, the project's own for the others. */
  public static RelocateAbi forDesign(TransitionDesign design) {
    return design.linux61Convention() ? LINUX_6_1 : OWN;
  }

  public static RelocateAbi fromCliName(String name) {
    return CliNamed.parse(RelocateAbi.class, "ABI", name, IllegalArgumentException::new);
  }
}
