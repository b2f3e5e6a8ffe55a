package org.kexecsim.analyzer;

import org.kexecsim.memory.ReadableMemory;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.mmu.WalkStep;
import org.kexecsim.pagetable.TableWalk;

/**
 * The analyzer's walk of a dump's page tables: {@link TableWalk} as the CPU in a {@link
 * PagingState} sees them (PDPTE registers, MAXPHYADDR, CR4.PSE), plus what an untrusted image
 * needs on top: present entries with reserved bits (by {@link PagingState#reservedBits}, the
 * walker's own definition) are followed as the machine that wrote the dump followed them and
 * reported through {@link Visitor#reserved} ({@link org.kexecsim.mmu.ReservedBitPolicy#REPORT});
 * and a hierarchy with more than {@link #MAX_ENTRIES} entries is refused. A table outside the
 * image's RAM is reported through {@link Visitor#unreadable} instead of aborting the walk.
 */
public final class PageTables {
  /** A hierarchy with more entries than this is refused rather than enumerated for hours (shared tables can multiply paths). */
  public static final long MAX_ENTRIES = 1L << 28;

  /** {@link TableWalk.Visitor}'s callbacks and the reserved-bit findings. */
  public interface Visitor extends TableWalk.Visitor {
    /** A present entry that sets reserved bits; the walk went on through it. */
    default void reserved(ReservedBitFinding finding) {}
  }

  private PageTables() {}

  public static void walk(ReadableMemory memory, PagingState state, Visitor visitor) {
    if (state.mode() == PagingMode.DISABLED) {
      return;
    }
    TableWalk.walk(memory, TableWalk.Start.of(state), guarded(state, visitor));
  }

  /** {@code visitor} behind the reserved-bit check and the entry limit, for a {@link TableWalk} of {@code state}'s tables. */
  public static TableWalk.Visitor guarded(PagingState state, Visitor visitor) {
    long[] entries = {0};
    PagingMode mode = state.mode();
    return new TableWalk.Visitor() {
      @Override
      public void table(long physical, int bytes, int level, long linearBase) {
        entries[0] += bytes / mode.entryBytes();
        if (entries[0] > MAX_ENTRIES) {
          throw new AnalysisException(AnalysisException.Kind.BAD_INPUT, String.format(
              "page tables from root 0x%x have more than %d reachable entries (tables linked many times?); refusing to enumerate",
              state.rootPhysical(), MAX_ENTRIES));
        }
        visitor.table(physical, bytes, level, linearBase);
      }

      @Override
      public void entry(int level, long address, int index, long e) {
        long bits = state.reservedBits(level, e);
        if (bits != 0) {
          visitor.reserved(new ReservedBitFinding(mode, new WalkStep(PagingMode.entryName(level), level, index, address, e, bits), bits));
        }
        visitor.entry(level, address, index, e);
      }

      @Override
      public void leaf(long linear, long size, long physical, int level, long rights, long leaf) {
        visitor.leaf(linear, size, physical, level, rights, leaf);
      }

      @Override
      public void unreadable(long physical, int level, long linearBase) {
        visitor.unreadable(physical, level, linearBase);
      }
    };
  }
}
