package org.kexecsim.mmu;

/**
 * Everything a page walk needs, derived once from the control registers: the mode, the root
 * table, the rights-related bits and the reserved-bit masks for each level (SDM Vol. 3A §4.3–4.5).
 * Immutable.
 */
public final class PagingState {
  final PagingMode mode;
  final long root;
  final boolean wp;
  final boolean nxe;
  final boolean smep;
  final boolean pse;
  /** Whether a fetch sets I/D in a #PF error code: (PAE and NXE) or SMEP (SDM §4.7). */
  final boolean reportsFetch;
  final long frameMask;
  final long[] pdptes;
  /** 4/5-level: reserved bits by level (index 1..5), for a non-leaf and a leaf entry. */
  final long[] reservedTable = new long[6];
  final long[] reservedLeaf = new long[6];
  /** PAE: reserved bits in PDEs and PTEs (leaf 2 MiB PDE adds 20:13). */
  final long paeReserved;
  /** 32-bit paging: reserved bits of a 4 MiB PDE and how many PSE-36 high address bits exist. */
  final long pse4mReserved;
  final int pse36Bits;
  /** PAE PDPTE: R/W, U/S, A, D, PS, G and 63:M (SDM §4.4.1, Table 4-8). */
  final long pdpteReserved;
  /**
   * QEMU TCG: the PDPTE is re-read from memory on every walk (no registers), and only its bits
   * 63:M are reserved (target/i386/tcg/system/excp_helper.c mmu_translate).
   */
  final boolean pdptesFromMemory;
  /** Whether reserved bits fault (the CPU) or are walked through and recorded (an analyzer). */
  final boolean faultOnReserved;
  private final ReservedBitPolicy policy;
  private final ControlState control;
  private final CpuFeatures features;

  private PagingState(ControlState c, CpuFeatures f, ReservedBitPolicy policy, CpuModel model) {
    this.policy = policy;
    this.pdptesFromMemory = !model.cachesPdptes();
    this.faultOnReserved = policy.faults();
    this.control = c;
    this.features = f;
    this.mode = c.mode();
    this.wp = (c.cr0() & Cr0.WP) != 0;
    this.nxe = (c.efer() & Efer.NXE) != 0;
    this.smep = (c.cr4() & Cr4.SMEP) != 0;
    this.pse = (c.cr4() & Cr4.PSE) != 0;
    this.reportsFetch = ((c.cr4() & Cr4.PAE) != 0 && nxe) || smep;
    this.frameMask = f.frameMask();
    int m = f.maxPhyAddr();
    long xdReserved = nxe ? 0 : PageTableEntry.XD;

    // 4-level / 5-level (SDM §4.5, Tables 4-14 to 4-20): 51:M everywhere, 63 without NXE.
    long base = (((1L << 52) - 1) & -(1L << m)) | xdReserved;
    for (int level = 1; level <= 5; level++) {
      reservedTable[level] = base;
      reservedLeaf[level] = base;
    }
    reservedTable[5] |= PageTableEntry.PS; // PS is reserved in PML5Es and PML4Es
    reservedTable[4] |= PageTableEntry.PS;
    reservedLeaf[3] |= 0x3FFF_E000L | (f.page1Gb() ? 0 : PageTableEntry.PS); // 1 GiB: 29:13
    reservedLeaf[2] |= 0x001F_E000L; // 2 MiB: 20:13

    // PAE (SDM §4.4, Tables 4-10 to 4-12): 62:M are reserved, unlike in 4-level paging.
    this.paeReserved = (Long.MAX_VALUE & -(1L << m)) | xdReserved;
    this.pdpteReserved = (pdptesFromMemory ? 0 : ControlRegisterRules.PDPTE_RESERVED_LOW) | -(1L << m);

    // 32-bit (SDM §4.3, Table 4-5): PSE-36 carries PA[M-1:32] in PDE[M-20:13], M capped at 40;
    // bit 21 and the bits above the PSE-36 field are reserved.
    int m32 = Math.min(m, 40);
    this.pse36Bits = m32 - 32;
    long r = 0;
    for (int bit = 13 + pse36Bits; bit <= 21; bit++) {
      r |= 1L << bit;
    }
    this.pse4mReserved = r;

    this.root = mode.rootTable(c.cr3(), frameMask);
    Pdptes p = c.pdptes();
    this.pdptes = new long[] {p.e0(), p.e1(), p.e2(), p.e3()};
  }

  /** The CPU's view: reserved bits fault. */
  public static PagingState of(ControlState control, CpuFeatures features) {
    return new PagingState(control, features, ReservedBitPolicy.FAULT, CpuModel.HARDWARE);
  }

  /** A CPU of the given model's view: reserved bits fault, PAE PDPTEs as {@code model} treats them. */
  public static PagingState of(ControlState control, CpuFeatures features, CpuModel model) {
    return new PagingState(control, features, ReservedBitPolicy.FAULT, model);
  }

  public static PagingState of(ControlState control, CpuFeatures features, ReservedBitPolicy policy) {
    return new PagingState(control, features, policy, CpuModel.HARDWARE);
  }

  public ReservedBitPolicy reservedBitPolicy() {
    return policy;
  }

  /**
   * The reserved bits a present entry at {@code level} (1 = PTE) sets in this mode, 0 when it is
   * well-formed: the one definition the walker and the table enumerators share (SDM §4.3, §4.4
   * Tables 4-8 to 4-12, §4.5 Tables 4-14 to 4-20).
   */
  public long reservedBits(int level, long entry) {
    return switch (mode) {
      case DISABLED -> 0;
      // 32-bit paging reserves bits only in a 4 MiB PDE, and PS counts only with CR4.PSE (§4.3).
      case BITS32 -> level == 2 && pse && (entry & PageTableEntry.PS) != 0 ? entry & pse4mReserved : 0;
      case PAE -> switch (level) {
        case 3 -> entry & pdpteReserved;
        case 2 -> entry & ((entry & PageTableEntry.PS) != 0 ? paeReserved | 0x1F_E000L : paeReserved);
        default -> entry & paeReserved;
      };
      case LEVEL4, LEVEL5 -> {
        boolean leaf = level == 1 || (level <= 3 && (entry & PageTableEntry.PS) != 0);
        yield entry & (leaf ? reservedLeaf[level] : reservedTable[level]);
      }
    };
  }

  public PagingMode mode() {
    return mode;
  }

  /** Physical address of the root table: the PD, the PDPT, the PML4 or the PML5. */
  public long rootPhysical() {
    return root;
  }

  public ControlState control() {
    return control;
  }

  public CpuFeatures features() {
    return features;
  }
}
