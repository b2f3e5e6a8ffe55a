package org.kexecsim.pagetable;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.ReadableMemory;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Pdptes;

/**
 * The one enumeration of a page-table hierarchy: from its root, every table it reaches and every
 * leaf mapping, in ascending linear-address order, each entry read once (SDM Vol. 3A §4.3–4.5).
 * A 1 GiB leaf is one callback, never 262144 4 KiB pages. Used by the preservation check
 * ({@link RootPreservation}: prepare, transition, verify-pgd) and the analyzer's ptdump and diff.
 *
 * <p>A table outside the memory's RAM is not an exception: the walk reports it through {@link
 * Visitor#unreadable} with its address and level and goes on with its siblings, so every caller
 * gets the same value-shaped outcome.
 */
public final class TableWalk {
  /** Callbacks of a walk; all default to doing nothing. */
  public interface Visitor {
    /**
     * A table: {@code bytes} long at {@code physical} (a PAE PDPT is 32 bytes), translating the
     * linear addresses from {@code linearBase}, {@code level} 1 (PT) up to 5 (PML5).
     */
    default void table(long physical, int bytes, int level, long linearBase) {}

    /** A present entry, before the walk follows it: {@code index} in the table, at {@code address}. */
    default void entry(int level, long address, int index, long entry) {}

    /**
     * A leaf mapping {@code [linear, linear+size)} to {@code physical}. {@code rights} carries RW and
     * US ANDed over every level and XD ORed, as the MMU combines them (SDM §4.6); {@code leaf} is the
     * raw entry. {@code linear} is not sign-extended ({@link PagingMode#canonical}).
     */
    default void leaf(long linear, long size, long physical, int level, long rights, long leaf) {}

    /** A table the walk could not read because it is outside the memory's RAM. */
    default void unreadable(long physical, int level, long linearBase) {}
  }

  /**
   * Where a walk starts and how it reads entries.
   *
   * @param root the table CR3 locates (a PAE PDPT is 32-byte aligned)
   * @param pdptes PAE: the PDPTE registers loaded with CR3 (SDM §4.4.1), or null to read the four
   *     PDPTEs from memory
   * @param frameMask the address bits of a 64-bit entry ({@link org.kexecsim.mmu.CpuFeatures#frameMask()})
   * @param pse whether a 32-bit PDE's PS makes a 4 MiB leaf (CR4.PSE)
   */
  public record Start(PagingMode mode, long root, Pdptes pdptes, long frameMask, boolean pse) {
    public Start {
      if (mode == PagingMode.DISABLED) {
        throw new IllegalArgumentException("no tables without paging");
      }
    }

    /**
     * The tables as memory holds them: PDPTEs read from memory, every address bit an entry can
     * hold, PS honoured as with CR4.PSE=1 (what Linux runs with).
     */
    public static Start inMemory(PagingMode mode, long cr3) {
      return new Start(mode, mode.rootTable(cr3), null, PagingMode.FRAME_MASK_64, true);
    }

    /** The tables as the CPU in {@code state} sees them: its PDPTE registers, MAXPHYADDR and CR4.PSE. */
    public static Start of(PagingState state) {
      return new Start(state.mode(), state.rootPhysical(),
          state.mode() == PagingMode.PAE ? state.control().pdptes() : null,
          state.features().frameMask(), (state.control().cr4() & Cr4.PSE) != 0);
    }
  }

  private final ReadableMemory memory;
  private final Start start;
  private final PagingMode mode;
  private final Visitor visitor;

  private TableWalk(ReadableMemory memory, Start start, Visitor visitor) {
    this.memory = memory;
    this.start = start;
    this.mode = start.mode();
    this.visitor = visitor;
  }

  public static void walk(ReadableMemory memory, Start start, Visitor visitor) {
    new TableWalk(memory, start, visitor).walkRoot();
  }

  /**
   * The one descent to a single linear address: the address of {@code linear}'s PTE slot (level
   * 1), or, when a table entry on the way is not present, minus that entry's level. Present
   * entries are followed as tables (the caller's tables have no large leaves on the way, as a
   * kernel's PTE lookup assumes).
   */
  public static long pteSlot(ReadableMemory memory, PagingMode mode, long root, long linear) {
    long table = root;
    boolean bits32 = mode == PagingMode.BITS32;
    for (int level = mode.levels(); level >= 2; level--) {
      long address = table + mode.index(linear, level) * mode.entryBytes();
      long e = bits32 ? memory.readU32(address) : memory.readU64(address);
      if ((e & P) == 0) {
        return -level;
      }
      table = mode.tableAddress(e);
    }
    return table + mode.index(linear, 1) * mode.entryBytes();
  }

  private void walkRoot() {
    long root = start.root();
    if (mode != PagingMode.PAE) {
      table(root, mode.levels(), 0, RW | US, 0);
      return;
    }
    if (start.pdptes() == null && !readable(root, 32, 3, 0)) {
      return;
    }
    visitor.table(root, 32, 3, 0);
    for (int i = 0; i < 4; i++) {
      long e = start.pdptes() == null ? memory.readU64(root + 8L * i) : start.pdptes().get(i);
      if ((e & P) != 0) {
        visitor.entry(3, root + 8L * i, i, e);
        table(e & start.frameMask(), 2, (long) i << 30, RW | US, 0);
      }
    }
  }

  private void table(long table, int level, long linearBase, long rights, long xd) {
    if (!readable(table, PhysicalMemory.PAGE_SIZE, level, linearBase)) {
      return;
    }
    visitor.table(table, PhysicalMemory.PAGE_SIZE, level, linearBase);
    int shift = mode.shift(level);
    int width = mode.entryBytes();
    int n = mode.entriesPerTable(level);
    boolean bits32 = mode == PagingMode.BITS32;
    for (int i = 0; i < n; i++) {
      long address = table + (long) width * i;
      long e = bits32 ? memory.readU32(address) : memory.readU64(address);
      if ((e & P) == 0) {
        continue;
      }
      visitor.entry(level, address, i, e);
      long linear = linearBase + ((long) i << shift);
      long r = rights & e;
      long x = xd | (e & XD);
      boolean leaf = level == 1 || ((e & PS) != 0 && mode.psLeafLevel(level) && (!bits32 || start.pse()));
      if (leaf) {
        long size = 1L << shift;
        visitor.leaf(linear, size, mode.leafPhysical(e, level, start.frameMask()), level, r | x, e);
      } else {
        table(bits32 ? mode.tableAddress(e) : e & start.frameMask(), level - 1, linear, r, x);
      }
    }
  }

  private boolean readable(long table, int bytes, int level, long linearBase) {
    if (memory.ramMap().containsRange(table, bytes)) {
      return true;
    }
    visitor.unreadable(table, level, linearBase);
    return false;
  }
}
