package org.kexecsim.mmu;

/**
 * Bits of a paging-structure entry, the same in every mode (SDM Vol. 3A §4.3–4.5, Tables 4-4 to
 * 4-20), and the flag sets Linux writes (arch/x86/include/asm/pgtable_types.h).
 *
 * <pre>
 *  63  62..52  51..M   M-1..12       11..9  8  7   6  5  4   3   2  1  0
 *  XD  ignored reserved address      avl    G  PS  D  A  PCD PWT US RW P
 * </pre>
 */
public final class PageTableEntry {
  private PageTableEntry() {}

  public static final long P = 1L;
  public static final long RW = 1L << 1;
  public static final long US = 1L << 2;
  public static final long PWT = 1L << 3;
  public static final long PCD = 1L << 4;
  public static final long A = 1L << 5;
  public static final long D = 1L << 6;
  /** Page size in a PDE or PDPTE; PAT in a 4 KiB PTE. */
  public static final long PS = 1L << 7;
  public static final long G = 1L << 8;
  /** PAT in a large-page leaf. */
  public static final long PAT_LARGE = 1L << 12;
  public static final long XD = 1L << 63;

  /** Linux _KERNPG_TABLE_NOENC: P|RW|A|D, what non-leaf kernel entries carry. */
  public static final long KERNPG_TABLE = P | RW | A | D;
  /** Linux _PAGE_TABLE: _KERNPG_TABLE with US. */
  public static final long PAGE_TABLE = KERNPG_TABLE | US;
  /** Linux __PAGE_KERNEL_EXEC: P|RW|A|D|G. */
  public static final long PAGE_KERNEL_EXEC = P | RW | A | D | G;
  /** Linux __PAGE_KERNEL_LARGE_EXEC: __PAGE_KERNEL_EXEC|PS. */
  public static final long PAGE_KERNEL_LARGE_EXEC = PAGE_KERNEL_EXEC | PS;
  /** Linux __PAGE_KERNEL: __PAGE_KERNEL_EXEC|NX. */
  public static final long PAGE_KERNEL = PAGE_KERNEL_EXEC | XD;

  public static boolean present(long entry) {
    return (entry & P) != 0;
  }

  /** "P RW US A D PS G XD" style list of the set flag bits. */
  public static String flags(long entry) {
    StringBuilder sb = new StringBuilder();
    if ((entry & P) != 0) sb.append("P ");
    if ((entry & RW) != 0) sb.append("RW ");
    if ((entry & US) != 0) sb.append("US ");
    if ((entry & PWT) != 0) sb.append("PWT ");
    if ((entry & PCD) != 0) sb.append("PCD ");
    if ((entry & A) != 0) sb.append("A ");
    if ((entry & D) != 0) sb.append("D ");
    if ((entry & PS) != 0) sb.append("PS ");
    if ((entry & G) != 0) sb.append("G ");
    if ((entry & XD) != 0) sb.append("XD ");
    return sb.toString().trim();
  }
}
