package org.kexecsim.relocate;

/**
 * What the crash did to the crashed kernel before machine_kexec() runs: each is applied to the
 * machine's memory after the kexec load (the segment caches keep what was loaded while the tables
 * were sound; the crash snapshot shows the damage), and any may be combined.
 */
public enum Damage {
  /** The GDT page zeroed: every descriptor reads as a null/system descriptor. */
  GDT_ZEROED("gdt-zeroed", "the crashed kernel's GDT zeroed"),
  /** The GDT overwritten with slab poison 0x6b (POISON_FREE, include/linux/poison.h): a use-after-free scribble. */
  GDT_POISON("gdt-poison", "the crashed kernel's GDT overwritten with slab poison 0x6b"),
  /** The IDT page zeroed: no gate is an interrupt gate any more. */
  IDT_ZEROED("idt-zeroed", "the crashed kernel's IDT zeroed"),
  /**
   * The crashed kernel's leaf entry for the VA machine_kexec() calls the routine at cleared (a
   * stray write into its page tables): the path to the routine's own code.
   */
  ROUTINE_PTE("routine-pte", "the crashed kernel's page-table entry for the routine's VA cleared"),
  /**
   * One byte of the loaded crash image flipped after the load (a stray write or DMA into the
   * crash region): purgatory's SHA-256 check is there for this.
   */
  CRASH_IMAGE("crash-image", "a byte of the loaded crash image flipped");

  private final String cliName;
  private final String description;

  Damage(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String description() {
    return description;
  }

  public static Damage fromCliName(String name) {
    for (Damage d : values()) {
      if (d.cliName.equals(name)) {
        return d;
      }
    }
    throw new IllegalArgumentException("unknown damage '" + name + "': expected "
        + String.join(", ", java.util.Arrays.stream(values()).map(Damage::cliName).toList()));
  }
}
