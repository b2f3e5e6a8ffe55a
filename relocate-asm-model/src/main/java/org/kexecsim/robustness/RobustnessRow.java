package org.kexecsim.robustness;

import org.kexecsim.transition.MainlineDesign;
import org.kexecsim.transition.PageTableADesign;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.kimage.Arch;
import org.kexecsim.transition.TransitionDesign;

/**
 * One row of the matrix: a design on an arch; {@code v1} is page-table-a as V1 of the 2006 patch
 * had it on PAE (PDPTEs with _KERNPG_TABLE, and 2.6.16's C side that loaded segments and zapped
 * the tables before the call).
 */
public record RobustnessRow(TransitionDesign design, Arch arch, boolean v1) {

  public String name() {
    return design.cliName() + (v1 ? " (V1)" : "") + "/" + arch.cliName();
  }

  /** The design Linux ships today: mainline. */
  public boolean shippedToday() {
    return design instanceof MainlineDesign;
  }

  /** Every design on every arch, then V1 page-table-a on PAE, where its PDPTE bug lived. */
  public static List<RobustnessRow> all() {
    List<RobustnessRow> rows = new ArrayList<>();
    for (TransitionDesign d : TransitionDesign.all()) {
      for (Arch a : Arch.values()) {
        rows.add(new RobustnessRow(d, a, false));
      }
      if (d instanceof PageTableADesign) {
        rows.add(new RobustnessRow(d, Arch.PAE, true));
      }
    }
    return rows;
  }
}
