package org.kexecsim.analyzer.vtop;

import java.util.List;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.Translation;

/**
 * Translates linear addresses to physical ones through an image's page tables, the way a
 * supervisor read would (crash's {@code vtop}, makedumpfile's {@code --vtop}). The walk is the
 * MMU model's own, read-only: accessed and dirty bits are not set.
 */
public final class Vtop {
  private Vtop() {}

  /**
   * Translates each of {@code linear} through {@code ctx}'s tables in {@code memory}. Never throws
   * for an address: an unmapped one, or one whose tables the dump lacks, is a faulted result.
   *
   * @param memory the dump's physical memory ({@code Dump.physicalMemory()})
   * @param ctx the root and mode, from {@link org.kexecsim.analyzer.RootTableFinder}
   */
  public static VtopReport translate(PhysicalMemory memory, PagingContext ctx, List<Long> linear) {
    PageWalker walker = new PageWalker(memory);
    List<VtopResult> results = linear.stream().map(va -> one(walker, memory, ctx, va)).toList();
    return new VtopReport(ctx, results);
  }

  /** One translation, its fault (or the page-table read that left the dump) as a result. */
  public static VtopResult one(PageWalker walker, PhysicalMemory memory, PagingContext ctx, long va) {
    Translation t = walker.translate(ctx.state(), va, Access.READ, false);
    return switch (t) {
      case Translation.Mapped m -> VtopResult.mapped(va, m.physical(), m.pageSize(), m.steps(), !memory.isExcluded(m.physical()));
      case Translation.Faulted f -> VtopResult.faulted(va, f.describe(), f.steps());
      case Translation.Unreadable u -> VtopResult.faulted(va,
          (u.excluded() ? "page table not in the dump: " : "page table outside the image: ") + u.reason(), u.steps());
    };
  }
}
