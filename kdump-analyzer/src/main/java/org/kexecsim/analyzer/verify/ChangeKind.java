package org.kexecsim.analyzer.verify;

import static org.kexecsim.mmu.PageTableEntry.A;
import static org.kexecsim.mmu.PageTableEntry.D;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import org.kexecsim.mmu.PagingMode;

/**
 * Who changed a page-table entry between BEFORE and AFTER. The CPU keeps walking the old tables
 * until the switch, and each walk may set A in every entry it used and D in the leaf it wrote
 * through (SDM Vol. 3A §4.8); it never clears them and never touches anything else. So a change
 * that only sets A (any present entry) or D (a leaf) is a hardware walk; anything else — an
 * address, rights, P, a cleared A/D — is a software write.
 */
public enum ChangeKind {
  /** Only A, or D in a leaf, went from 0 to 1 in a present entry. */
  ACCESSED_DIRTY("A/D set by a hardware walk"),
  /** Anything else: the entry was rewritten. */
  SOFTWARE("software write");

  private final String text;

  ChangeKind(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }

  /**
   * Classifies a change of the entry at {@code level} (1 = PTE) from {@code before} to {@code
   * after}. A PAE PDPTE is never written by a CPU (SDM §4.4.1: it lives in a register), but
   * QEMU TCG sets its A bit on every walk (target/i386/tcg/system/excp_helper.c), so there too A
   * counts as a hardware walk's.
   */
  public static ChangeKind of(PagingMode mode, int level, long before, long after) {
    if ((before & P) == 0 || (after & P) == 0) {
      return SOFTWARE; // walks neither use nor mark a non-present entry
    }
    boolean leaf = level == 1 || ((before & PS) != 0 && mode.psLeafLevel(level));
    long hardware = A | (leaf ? D : 0);
    long diff = before ^ after;
    return (diff & ~hardware) == 0 && (after & diff) == diff ? ACCESSED_DIRTY : SOFTWARE;
  }
}
