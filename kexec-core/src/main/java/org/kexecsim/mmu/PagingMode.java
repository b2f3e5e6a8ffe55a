package org.kexecsim.mmu;

import org.kexecsim.input.CliNamed;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.ReadableMemory;

/** Which paging structures translate linear addresses (SDM Vol. 3A §4.1.1, Table 4-1). */
public enum PagingMode implements CliNamed {
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
  @Override
  public String cliName() {
    return cliName;
  }

  public int levels() {
    return levels;
  }

  /**
   * Bits 51:12 of a 64-bit entry: the widest address field a PAE or IA-32e entry can hold
   * (SDM Vol. 3A Tables 4-8 to 4-20, M &lt;= 52). A CPU with a smaller MAXPHYADDR reserves the
   * bits above it ({@link CpuFeatures#frameMask()}).
   */
  public static final long FRAME_MASK_64 = 0x000F_FFFF_FFFF_F000L;

  /** Bits 31:12 of a 32-bit entry (SDM Vol. 3A Tables 4-5, 4-6). */
  public static final long FRAME_MASK_32 = 0xFFFF_F000L;

  /**
   * The physical address of the table CR3 points at: CR3[31:12] in 32-bit paging (§4.3),
   * CR3[31:5] with PAE (§4.4.1), CR3[M-1:12] in 4- and 5-level paging (§4.5), M given by
   * {@code frameMask}; 0 with paging off.
   */
  public long rootTable(long cr3, long frameMask) {
    return switch (this) {
      case DISABLED -> 0;
      case BITS32 -> cr3 & FRAME_MASK_32;
      case PAE -> cr3 & 0xFFFF_FFE0L;
      case LEVEL4, LEVEL5 -> cr3 & frameMask;
    };
  }

  /** {@link #rootTable(long, long)} with every address bit a 64-bit entry can hold. */
  public long rootTable(long cr3) {
    return rootTable(cr3, FRAME_MASK_64);
  }

  /**
   * log2 of the bytes one entry at {@code level} (1 = PTE, up to 5 = PML5E) maps: 12 + 10 per
   * level with 1024-entry 32-bit tables, 12 + 9 per level with 512-entry 64-bit tables
   * (SDM Vol. 3A §4.3, §4.4.2, §4.5.4).
   */
  public int shift(int level) {
    return this == BITS32 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
  }

  /** Bytes of one entry: 4 in 32-bit paging, 8 otherwise. */
  public int entryBytes() {
    return this == BITS32 ? 4 : 8;
  }

  /** The paging-structure entry at {@code address}, read at this mode's width ({@link #entryBytes}). */
  public long readEntry(ReadableMemory memory, long address) {
    return this == BITS32 ? memory.readU32(address) : memory.readU64(address);
  }

  /** Stores {@code entry} at {@code address} at this mode's width. */
  public void writeEntry(PhysicalMemory memory, long address, long entry) {
    if (this == BITS32) {
      memory.writeU32(address, entry);
    } else {
      memory.writeU64(address, entry);
    }
  }

  /** Entries in a table at {@code level}: 1024, 512, or the PAE PDPT's 4 (SDM §4.4.1). */
  public int entriesPerTable(int level) {
    if (this == BITS32) {
      return 1024;
    }
    return this == PAE && level == 3 ? 4 : 512;
  }

  /** The index of {@code linear}'s entry in its table at {@code level}. */
  public long index(long linear, int level) {
    return (linear >>> shift(level)) & (entriesPerTable(level) - 1);
  }

  /** The address of the next-level table an entry points to (the entry's bits 51:12, or 31:12). */
  public long tableAddress(long entry) {
    return entry & (this == BITS32 ? FRAME_MASK_32 : FRAME_MASK_64);
  }

  /**
   * Whether PS may make an entry at {@code level} a leaf: PDEs in every mode, PDPTEs in IA-32e
   * paging only (a PAE PDPTE has no PS, §4.4.1; a PML4E's/PML5E's PS is reserved, §4.5.4).
   * Level 1 is always a leaf. 32-bit PDEs honour PS only with CR4.PSE=1, which the caller knows.
   */
  public boolean psLeafLevel(int level) {
    return level == 2 || (level == 3 && isLongMode());
  }

  /**
   * Whether a table builder may end a mapping at {@code level} with a leaf when pages up to
   * {@code largest} are wanted: level 1 always; a 4 MiB PDE in 32-bit paging (PSE); a 2 MiB PDE
   * with PAE or IA-32e paging (2 MiB or 1 GiB wanted); a 1 GiB PDPTE in IA-32e paging only
   * ({@link #psLeafLevel}; 1 GiB pages need CPUID.80000001H:EDX.Page1GB, §4.1.4).
   */
  public boolean leafAllowed(int level, PageSize largest) {
    if (level == 1) {
      return true;
    }
    return switch (this) {
      case BITS32 -> level == 2 && largest == PageSize.SIZE_4M;
      case PAE -> level == 2 && (largest == PageSize.SIZE_2M || largest == PageSize.SIZE_1G);
      case LEVEL4, LEVEL5 ->
          (level == 2 && (largest == PageSize.SIZE_2M || largest == PageSize.SIZE_1G))
              || (level == 3 && largest == PageSize.SIZE_1G);
      case DISABLED -> false;
    };
  }

  /**
   * The physical address a present leaf at {@code level} maps, with {@code frameMask} the
   * address bits the CPU has (a 64-bit leaf's address is the frame with the page-offset bits
   * cleared; a 32-bit 4 MiB PDE uses PSE-36: bits 20:13 hold address bits 39:32, Table 4-4).
   */
  public long leafPhysical(long entry, int level, long frameMask) {
    if (this == BITS32) {
      return level == 2 ? (entry & 0xFFC0_0000L) | (((entry >>> 13) & 0xFF) << 32) : entry & FRAME_MASK_32;
    }
    return entry & frameMask & -(1L << shift(level));
  }

  /** The SDM's name of the table CR3 points at: page directory, PDPT, PML4, PML5 ("nothing" with paging off). */
  public String rootTableName() {
    return switch (this) {
      case BITS32 -> "page directory";
      case PAE -> "PDPT";
      case LEVEL4 -> "PML4";
      case LEVEL5 -> "PML5";
      case DISABLED -> "nothing";
    };
  }

  /** The SDM's name of an entry at {@code level}: PTE, PDE, PDPTE, PML4E, PML5E. */
  public static String entryName(int level) {
    return switch (level) {
      case 1 -> "PTE";
      case 2 -> "PDE";
      case 3 -> "PDPTE";
      case 4 -> "PML4E";
      default -> "PML5E";
    };
  }

  /**
   * Sign-extends a linear address from the mode's width (bit 47 or 56, §4.5) so that kernel
   * addresses print as 0xffff...; other modes leave it as it is.
   */
  public long canonical(long linear) {
    int bits = this == LEVEL5 ? 57 : this == LEVEL4 ? 48 : 64;
    return bits == 64 ? linear : (linear << (64 - bits)) >> (64 - bits);
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

  /** A paging mode named on the command line; its refusal lists the modes a user can choose (DISABLED, "none", is a state the CPU reports, not a mode to translate with). */
  public static PagingMode fromCliName(String name) {
    return CliNamed.find(PagingMode.class, name).filter(m -> m != DISABLED).orElseThrow(() -> new IllegalArgumentException(
        "unknown paging mode '" + name + "': expected 32, pae, 4level or 5level"));
  }
}
