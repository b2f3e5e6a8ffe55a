package org.kexecsim.analyzer.ptov;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageWalker;

/**
 * Physical to virtual: every linear address whose translation through a root lands on a given
 * physical address (crash's {@code ptov} answers only for the direct map; this reads the tables).
 * One walk of the hierarchy ({@link PageTables}) visits every leaf once and checks it against all
 * the addresses asked, sorted, so the cost is that of the tables, not of the address space; the
 * entry chain of each match is then read by the walker, as vtop reads it.
 */
public final class Ptov {
  /** Matches kept per address; a page mapped more often (the zero page in every process) is counted past this. */
  public static final int MAX_LISTED = 256;

  private Ptov() {}

  /** One linear address mapping a physical address, with the entries that map it. */
  public record Match(long linear, PageSize pageSize, VtopResult translation) {}

  /** The matches of one physical address: the first {@link #MAX_LISTED}, and how many in all. */
  public record Found(long physical, List<Match> matches, long total) {}

  public static List<Found> find(PhysicalMemory memory, PagingContext ctx, long[] physicals) {
    long[] targets = physicals.clone();
    Arrays.sort(targets); // as signed: physical addresses are below 2^52
    @SuppressWarnings("unchecked")
    List<long[]>[] hits = new List[targets.length];
    long[] totals = new long[targets.length];
    for (int i = 0; i < targets.length; i++) {
      hits[i] = new ArrayList<>();
    }
    PageTables.walk(memory, ctx.state(), new PageTables.Visitor() {
      @Override
      public void leaf(long linear, long size, long physical, int level, long rights, long leaf) {
        int i = Arrays.binarySearch(targets, physical);
        if (i < 0) {
          i = -i - 1;
        }
        for (; i < targets.length && targets[i] - physical < size && targets[i] >= physical; i++) {
          if (i > 0 && targets[i] == targets[i - 1]) {
            continue;
          }
          totals[i]++;
          if (hits[i].size() < MAX_LISTED) {
            hits[i].add(new long[] {ctx.mode().canonical(linear + (targets[i] - physical)), size});
          }
        }
      }
    });
    PageWalker walker = new PageWalker(memory);
    List<Found> out = new ArrayList<>();
    for (long pa : physicals) {
      int i = Arrays.binarySearch(targets, pa);
      while (i > 0 && targets[i - 1] == pa) {
        i--;
      }
      List<Match> matches = new ArrayList<>();
      for (long[] h : hits[i]) {
        matches.add(new Match(h[0], PageSize.ofShift(Long.numberOfTrailingZeros(h[1])), Vtop.one(walker, memory, ctx, h[0])));
      }
      out.add(new Found(pa, List.copyOf(matches), totals[i]));
    }
    return List.copyOf(out);
  }
}
