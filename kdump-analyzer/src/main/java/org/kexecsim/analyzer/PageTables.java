package org.kexecsim.analyzer;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Pdptes;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.mmu.WalkStep;

/**
 * Enumerates a page-table hierarchy from its root: every table it reaches and every leaf
 * mapping, in ascending linear-address order, reading each entry once (SDM Vol. 3A §4.3–4.5).
 * A 1 GiB leaf is one callback, never 262144 4 KiB pages.
 *
 * <p>Entries are interpreted as the walker does under {@link
 * org.kexecsim.mmu.ReservedBitPolicy#REPORT} for P, PS and the address: a present entry with
 * reserved bits (by {@link PagingState#reservedBits}, the walker's own definition) is followed
 * as the machine that wrote the dump followed it, and reported through {@link Visitor#reserved}.
 * PS in a PML4E/PML5E is reserved, so such an entry is read as a table pointer. A table outside
 * the image's RAM is reported through {@link Visitor#unreadable} instead of aborting the walk.
 */
public final class PageTables {
  /** A hierarchy with more entries than this is refused rather than enumerated for hours (shared tables can multiply paths). */
  public static final long MAX_ENTRIES = 1L << 28;

  /** Callbacks of a walk; all default to doing nothing. */
  public interface Visitor {
    /**
     * A table: {@code bytes} long at {@code physical} (a PAE PDPT is 32 bytes), translating the
     * linear addresses from {@code linearBase}, {@code level} 1 (PT) up to 5 (PML5).
     */
    default void table(long physical, int bytes, int level, long linearBase) {}

    /**
     * A leaf mapping {@code [linear, linear+size)} to {@code physical}. {@code rights} carries RW and
     * US ANDed over every level and XD ORed, as the MMU combines them (SDM §4.6); {@code leaf} is the
     * raw entry.
     */
    default void leaf(long linear, long size, long physical, int level, long rights, long leaf) {}

    /** A table the walk could not read because it is outside the image's RAM. */
    default void unreadable(long physical, int level, long linearBase) {}

    /** A present entry that sets reserved bits; the walk went on through it. */
    default void reserved(ReservedBitFinding finding) {}
  }

  private final PhysicalMemory memory;
  private final PagingState state;
  private final Visitor visitor;
  private final long frameMask;
  private long entries;

  private PageTables(PhysicalMemory memory, PagingState state, Visitor visitor) {
    this.memory = memory;
    this.state = state;
    this.visitor = visitor;
    this.frameMask = state.features().frameMask();
  }

  public static void walk(PhysicalMemory memory, PagingState state, Visitor visitor) {
    new PageTables(memory, state, visitor).walkRoot();
  }

  /** log2 of the bytes one entry at {@code level} covers. */
  public static int shift(PagingMode mode, int level) {
    return mode == PagingMode.BITS32 ? 12 + 10 * (level - 1) : 12 + 9 * (level - 1);
  }

  /** The SDM's name of an entry at {@code level}. */
  public static String entryName(PagingMode mode, int level) {
    return switch (level) {
      case 1 -> "PTE";
      case 2 -> "PDE";
      case 3 -> "PDPTE";
      case 4 -> "PML4E";
      default -> "PML5E";
    };
  }

  /** Sign-extends a linear address from the mode's width (bit 47 or 56) so that kernel addresses print as 0xffff... */
  public static long canonical(PagingMode mode, long linear) {
    int bits = mode == PagingMode.LEVEL5 ? 57 : mode == PagingMode.LEVEL4 ? 48 : 64;
    return bits == 64 ? linear : (linear << (64 - bits)) >> (64 - bits);
  }

  private void walkRoot() {
    PagingMode mode = state.mode();
    switch (mode) {
      case DISABLED -> {}
      case BITS32 -> table32(state.rootPhysical() & ~0xFFFL, 2, 0, RW | US);
      case PAE -> {
        // The PDPTEs come from the registers loaded with CR3 (SDM §4.4.1), which equal memory at load time.
        long pdpt = state.rootPhysical();
        visitor.table(pdpt, 32, 3, 0);
        Pdptes regs = state.control().pdptes();
        for (int i = 0; i < 4; i++) {
          long e = regs.get(i);
          count();
          if ((e & P) != 0) {
            checkReserved(3, pdpt + 8L * i, i, e);
            table64((e & frameMask), 2, (long) i << 30, RW | US, 0);
          }
        }
      }
      case LEVEL4, LEVEL5 -> table64(state.rootPhysical(), mode.levels(), 0, RW | US, 0);
    }
  }

  private void table64(long table, int level, long linearBase, long rights, long xd) {
    if (!readable(table, level, linearBase)) {
      return;
    }
    visitor.table(table, PhysicalMemory.PAGE_SIZE, level, linearBase);
    int shift = shift(state.mode(), level);
    for (int i = 0; i < 512; i++) {
      count();
      long e = memory.readU64(table + 8L * i);
      if ((e & P) == 0) {
        continue;
      }
      checkReserved(level, table + 8L * i, i, e);
      long linear = linearBase + ((long) i << shift);
      long r = rights & e;
      long x = xd | (e & XD);
      if (level == 1 || ((e & PS) != 0 && level <= 3)) {
        long size = 1L << shift;
        visitor.leaf(linear, size, e & frameMask & -size, level, r | x, e);
      } else {
        table64(e & frameMask, level - 1, linear, r, x);
      }
    }
  }

  private void table32(long table, int level, long linearBase, long rights) {
    if (!readable(table, level, linearBase)) {
      return;
    }
    visitor.table(table, PhysicalMemory.PAGE_SIZE, level, linearBase);
    int shift = shift(PagingMode.BITS32, level);
    boolean pse = (state.control().cr4() & Cr4.PSE) != 0;
    for (int i = 0; i < 1024; i++) {
      count();
      long e = memory.readU32(table + 4L * i);
      if ((e & P) == 0) {
        continue;
      }
      checkReserved(level, table + 4L * i, i, e);
      long linear = linearBase + ((long) i << shift);
      long r = rights & e;
      if (level == 2 && (e & PS) != 0 && pse) {
        // PSE-36: PDE bits 20:13 hold physical address bits 39:32 (SDM §4.3, Table 4-4).
        long pa = (e & 0xFFC0_0000L) | (((e >>> 13) & 0xFF) << 32);
        visitor.leaf(linear, 1L << 22, pa, 2, r, e);
      } else if (level == 1) {
        visitor.leaf(linear, 1L << 12, e & 0xFFFF_F000L, 1, r, e);
      } else {
        table32(e & 0xFFFF_F000L, 1, linear, r);
      }
    }
  }

  private void checkReserved(int level, long address, int index, long e) {
    long bits = state.reservedBits(level, e);
    if (bits != 0) {
      String name = entryName(state.mode(), level);
      visitor.reserved(new ReservedBitFinding(state.mode(), new WalkStep(name, level, index, address, e, bits), bits));
    }
  }

  private boolean readable(long table, int level, long linearBase) {
    if (memory.ramMap().containsRange(table, PhysicalMemory.PAGE_SIZE)) {
      return true;
    }
    visitor.unreadable(table, level, linearBase);
    return false;
  }

  private void count() {
    if (++entries > MAX_ENTRIES) {
      throw new AnalysisException(AnalysisException.Kind.BAD_INPUT, String.format(
          "page tables from root 0x%x have more than %d reachable entries (tables linked many times?); refusing to enumerate",
          state.rootPhysical(), MAX_ENTRIES));
    }
  }
}
