package org.kexecsim.mmu;

/**
 * One paging-structure entry read during a walk.
 *
 * @param table the entry's name in the SDM for this mode: PML5E, PML4E, PDPTE, PDE, PTE
 * @param level 1 for a PTE up to 5 for a PML5E
 * @param index the entry's index in its table
 * @param entryPhysical where the entry lives (for PAE PDPTEs: where it was loaded from)
 * @param value the entry as read (for PAE PDPTEs: the register copy)
 * @param reservedBits the reserved bits the entry sets (SDM §4.3–4.5), 0 for a well-formed
 *     entry; non-zero on the step of a reserved-bit #PF, or on a step walked through under
 *     {@link ReservedBitPolicy#REPORT}
 */
public record WalkStep(String table, int level, int index, long entryPhysical, long value, long reservedBits) {

  public WalkStep(String table, int level, int index, long entryPhysical, long value) {
    this(table, level, index, entryPhysical, value, 0);
  }

  @Override
  public String toString() {
    return String.format(
        "%s[%d] @0x%x = 0x%016x (%s)%s", table, index, entryPhysical, value, PageTableEntry.flags(value),
        reservedBits == 0 ? "" : String.format(" reserved 0x%x", reservedBits));
  }
}
