package org.kexecsim.analyzer.verify;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;

/**
 * Proves (or refutes) that a crashed kernel's page tables survived a kexec: walks the hierarchy
 * reachable from the root in BEFORE, and requires every table page it reaches to be
 * byte-identical at the same physical address in AFTER. A translation depends only on the
 * entries of the tables on its path, so identical table pages mean every translation they define
 * is unchanged; a changed page is reported entry by entry with what the entry mapped before and
 * after.
 */
public final class PgdVerifier {
  /** Table changes listed in full; the count covers all of them. */
  public static final int MAX_REPORTED = 16;

  private PgdVerifier() {}

  private record TableRef(long physical, int bytes, int level, long linearBase) {}

  public static PgdVerdict verify(PhysicalMemory before, PhysicalMemory after, PagingContext ctx) {
    if (ctx.mode() == PagingMode.DISABLED) {
      // Nothing to walk would make "preserved" vacuously true: refuse instead.
      throw new AnalysisException(AnalysisException.Kind.USAGE,
          "paging was off in BEFORE (" + ctx.modeSource() + "), so it has no page tables to verify; pass --cr3 and --mode");
    }
    Map<Long, TableRef> tables = new LinkedHashMap<>();
    List<Long> unreadable = new ArrayList<>();
    long[] leaves = {0};
    PageTables.walk(before, ctx.state(), new PageTables.Visitor() {
      @Override
      public void table(long physical, int bytes, int level, long linearBase) {
        tables.putIfAbsent(physical, new TableRef(physical, bytes, level, linearBase));
      }

      @Override
      public void leaf(long linear, long size, long physical, int level, long rights, long leaf) {
        leaves[0]++;
      }

      @Override
      public void unreadable(long physical, int level, long linearBase) {
        unreadable.add(physical);
      }
    });
    PagingMode mode = ctx.mode();
    List<TableChange> changes = new ArrayList<>();
    long changed = 0;
    for (TableRef t : tables.values()) {
      String name = PageTables.entryName(mode, t.level());
      if (!after.ramMap().containsRange(t.physical(), t.bytes())) {
        changed++;
        if (changes.size() < MAX_REPORTED) {
          changes.add(new TableChange(t.physical(), t.level(), name, canonical(mode, t.linearBase()), true, List.of()));
        }
        continue;
      }
      if (t.bytes() == PhysicalMemory.PAGE_SIZE && before.pageEquals(t.physical(), after, t.physical())) {
        continue;
      }
      byte[] a = new byte[t.bytes()];
      byte[] b = new byte[t.bytes()];
      before.read(t.physical(), a, 0, a.length);
      after.read(t.physical(), b, 0, b.length);
      if (java.util.Arrays.equals(a, b)) {
        continue;
      }
      changed++;
      if (changes.size() < MAX_REPORTED) {
        changes.add(new TableChange(t.physical(), t.level(), name, canonical(mode, t.linearBase()), false,
            entries(mode, t, a, b)));
      }
    }
    return new PgdVerdict(ctx, tables.size(), leaves[0], changed, List.copyOf(changes), List.copyOf(unreadable));
  }

  private static long canonical(PagingMode mode, long linear) {
    return PageTables.canonical(mode, linear);
  }

  private static List<EntryChange> entries(PagingMode mode, TableRef t, byte[] a, byte[] b) {
    int width = mode == PagingMode.BITS32 ? 4 : 8;
    int shift = PageTables.shift(mode, t.level());
    List<EntryChange> out = new ArrayList<>();
    for (int i = 0; i * width < a.length; i++) {
      long oldValue = entry(a, i, width);
      long newValue = entry(b, i, width);
      if (oldValue != newValue) {
        long linear = canonical(mode, t.linearBase() + ((long) i << shift));
        out.add(new EntryChange(i, oldValue, newValue, linear, 1L << shift, meaning(mode, t.level(), oldValue),
            meaning(mode, t.level(), newValue)));
      }
    }
    return List.copyOf(out);
  }

  private static long entry(byte[] page, int index, int width) {
    long v = 0;
    for (int k = width - 1; k >= 0; k--) {
      v = (v << 8) | (page[index * width + k] & 0xff);
    }
    return v;
  }

  /** What an entry at {@code level} points to: nothing, a lower table, or a page. */
  static String meaning(PagingMode mode, int level, long e) {
    if ((e & P) == 0) {
      return "not present";
    }
    boolean pae = mode == PagingMode.PAE;
    boolean leaf = level == 1 || ((e & PS) != 0 && (level == 2 || (level == 3 && mode.isLongMode())));
    long frame = mode == PagingMode.BITS32 ? e & 0xFFFF_F000L : e & 0x000F_FFFF_FFFF_F000L;
    if (!leaf || (pae && level == 3)) {
      return String.format("table at 0x%x", frame);
    }
    int shift = PageTables.shift(mode, level);
    long pa = frame & -(1L << shift);
    if (mode == PagingMode.BITS32 && level == 2) {
      pa = (e & 0xFFC0_0000L) | (((e >>> 13) & 0xFF) << 32);
    }
    return String.format("%s page at 0x%x %s", PageSize.ofShift(shift).label(), pa, PageTableEntry.flags(e));
  }
}
