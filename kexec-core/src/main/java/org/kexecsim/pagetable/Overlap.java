package org.kexecsim.pagetable;

/** What a builder does when the range it maps already has a present leaf. */
public enum Overlap {
  /** Write the new leaf over the old one. */
  REPLACE,
  /**
   * Leave present entries alone, as the kernel's identity mapper does (arch/x86/mm/ident_map.c,
   * ident_pmd_init: "if (pmd_present(*pmd)) continue").
   */
  KEEP
}
