package org.kexecsim.uml.kernel;

import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.uml.host.Prot;

/**
 * Bits of a guest PTE. The layout is the x86 one (the guest tables are real x86 tables); two
 * software bits in the "available" field mark entries the host has not caught up with yet, as
 * _PAGE_NEWPAGE and _PAGE_NEWPROT did (include/asm-um/pgtable.h; since 6.13 _PAGE_NEEDSYNC).
 */
public final class GuestPte {
  private GuestPte() {}

  public static final long P = PageTableEntry.P;
  public static final long RW = PageTableEntry.RW;
  public static final long US = PageTableEntry.US;
  /** Accessed: "young" to Linux. */
  public static final long A = PageTableEntry.A;
  public static final long D = PageTableEntry.D;
  /** The mapping itself changed: the host must map or unmap. */
  public static final long NEWPAGE = 1L << 9;
  /** Only the rights changed: the host must mprotect. */
  public static final long NEWPROT = 1L << 10;
  public static final long FRAME = PagingMode.FRAME_MASK_64;

  /**
   * The host protection for a guest PTE (arch/um/kernel/tlb.c fix_range_common): not young means
   * no access at all, young but clean means no write, so the first read and the first write of a
   * page each fault into UML, which can then keep accessed and dirty exact.
   */
  public static int hostProt(long pte) {
    if ((pte & P) == 0 || (pte & A) == 0) {
      return Prot.NONE;
    }
    int prot = Prot.READ | Prot.EXEC;
    if ((pte & RW) != 0 && (pte & D) != 0) {
      prot |= Prot.WRITE;
    }
    return prot;
  }
}
