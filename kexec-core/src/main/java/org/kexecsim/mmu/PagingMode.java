package org.kexecsim.mmu;

/** Which paging structures translate linear addresses (SDM Vol. 3A §4.1.1, Table 4-1). */
public enum PagingMode {
  /** CR0.PG=0: linear addresses are physical. */
  DISABLED("none", 0),
  /** CR0.PG=1, CR4.PAE=0: two levels of 32-bit entries. */
  BITS32("32", 2),
  /** CR0.PG=1, CR4.PAE=1, EFER.LMA=0: PDPT registers, then two levels of 64-bit entries. */
  PAE("pae", 3),
  /** CR0.PG=1, CR4.PAE=1, EFER.LMA=1, CR4.LA57=0. */
  LEVEL4("4level", 4),
  /** CR0.PG=1, CR4.PAE=1, EFER.LMA=1, CR4.LA57=1. */
  LEVEL5("5level", 5);

  private final String cliName;
  private final int levels;

  PagingMode(String cliName, int levels) {
    this.cliName = cliName;
    this.levels = levels;
  }

  /** The name used on the command line and in JSON. */
  public String cliName() {
    return cliName;
  }

  public int levels() {
    return levels;
  }

  /** Whether linear addresses are 64 bits wide and must be canonical. */
  public boolean isLongMode() {
    return this == LEVEL4 || this == LEVEL5;
  }

  public static PagingMode of(long cr0, long cr4, long efer) {
    if ((cr0 & Cr0.PG) == 0) {
      return DISABLED;
    }
    if ((cr4 & Cr4.PAE) == 0) {
      return BITS32;
    }
    if ((efer & Efer.LMA) == 0) {
      return PAE;
    }
    return (cr4 & Cr4.LA57) != 0 ? LEVEL5 : LEVEL4;
  }

  public static PagingMode fromCliName(String name) {
    for (PagingMode m : values()) {
      if (m.cliName.equals(name)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown paging mode '" + name + "': expected 32, pae, 4level or 5level");
  }
}
