package org.kexecsim.analyzer.vtop;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.WalkStep;

/**
 * One translation: the physical address and page size, or why there is none; with the entries
 * read on the way (outermost first) for the verbose view, and whether the dump holds the page it
 * maps to.
 */
public record VtopResult(long linear, OptionalLong physical, Optional<PageSize> pageSize, Optional<String> fault, List<WalkStep> steps,
    boolean inDump) {

  /** @param inDump false when the page it maps to was excluded from the dump (makedumpfile -d) */
  static VtopResult mapped(long va, long pa, PageSize size, List<WalkStep> steps, boolean inDump) {
    return new VtopResult(va, OptionalLong.of(pa), Optional.of(size), Optional.empty(), steps, inDump);
  }

  static VtopResult faulted(long va, String why, List<WalkStep> steps) {
    return new VtopResult(va, OptionalLong.empty(), Optional.empty(), Optional.of(why), steps, true);
  }

  public boolean isMapped() {
    return physical.isPresent();
  }
}
