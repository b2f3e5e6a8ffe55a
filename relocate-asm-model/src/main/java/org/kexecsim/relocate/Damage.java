package org.kexecsim.relocate;

import org.kexecsim.input.CliNamed;

/**
 * What the crash did to the crashed kernel before machine_kexec() runs: each is applied to the
 * machine's memory after the kexec load (the segment caches keep what was loaded while the tables
 * were sound; the crash snapshot shows the damage), and any may be combined.
 */
public enum Damage implements CliNamed {
  /** The GDT page zeroed: every descriptor reads as a null/system descriptor. */
  GDT_ZEROED("the crashed kernel's GDT zeroed"),
  /** The GDT overwritten with slab poison 0x6b (POISON_FREE, include/linux/poison.h): a use-after-free scribble. */
  GDT_POISON("the crashed kernel's GDT overwritten with slab poison 0x6b"),
  /** The IDT page zeroed: no gate is an interrupt gate any more. */
  IDT_ZEROED("the crashed kernel's IDT zeroed"),
  /**
   * The crashed kernel's leaf entry for the VA machine_kexec() calls the routine at cleared (a
   * stray write into its page tables): the path to the routine's own code.
   */
  ROUTINE_PTE("the crashed kernel's page-table entry for the routine's VA cleared"),
  /**
   * One byte of the loaded crash image flipped after the load (a stray write or DMA into the
   * crash region): purgatory's SHA-256 check is there for this.
   */
  CRASH_IMAGE("a byte of the loaded crash image flipped");

  private final String description;

  Damage(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }

  public static Damage fromCliName(String name) {
    return CliNamed.parse(Damage.class, "damage", name, IllegalArgumentException::new);
  }
}
