package org.kexecsim.analyzer.ptov;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.symbols.AddressNames;
import org.kexecsim.mmu.WalkStep;

/** What ptov found through each root it walked. */
public record PtovReport(List<RootResult> roots) {
  public static final String FORMAT = "kexec-sim/ptov/v1";

  /** One root's answers: {@code label} says which root ("VMCOREINFO kernel root", "CPU 1 CR3", "--cr3"). */
  public record RootResult(String label, PagingContext paging, List<Ptov.Found> found) {}

  /** Whether every address asked is mapped through at least one root. */
  public boolean allMapped() {
    if (roots.isEmpty()) {
      return false;
    }
    int n = roots.getFirst().found().size();
    for (int i = 0; i < n; i++) {
      final int k = i;
      if (roots.stream().allMatch(r -> r.found().get(k).total() == 0)) {
        return false;
      }
    }
    return true;
  }

  public ObjectNode toJson(AddressNames names) {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("allMapped", allMapped());
    ArrayNode rs = n.putArray("roots");
    for (RootResult r : roots) {
      ObjectNode ro = rs.addObject();
      ro.put("label", r.label());
      ReportJson.paging(ro, r.paging());
      ArrayNode fs = ro.putArray("addresses");
      for (Ptov.Found f : r.found()) {
        ObjectNode fo = fs.addObject();
        fo.put("physical", Hex.of(f.physical()));
        fo.put("total", f.total());
        ArrayNode ms = fo.putArray("linear");
        for (Ptov.Match m : f.matches()) {
          ObjectNode mo = ms.addObject();
          mo.put("linear", Hex.of(m.linear()));
          names.at(m.linear()).ifPresent(s -> mo.put("symbol", s));
          mo.put("pageSize", m.pageSize().label());
          ReportJson.steps(mo, m.translation().steps());
        }
      }
    }
    return n;
  }

  /** Per root: each physical address, then each linear address that maps it and its entry chain. */
  public String toText(AddressNames names) {
    StringBuilder sb = new StringBuilder();
    for (RootResult r : roots) {
      sb.append(r.label()).append(": ").append(r.paging().describe()).append(System.lineSeparator());
      for (Ptov.Found f : r.found()) {
        if (f.total() == 0) {
          sb.append(String.format("  0x%x: not mapped through this root%n", f.physical()));
          continue;
        }
        sb.append(String.format("  0x%x%s: %d mapping%s%s%n", f.physical(), AddressNames.suffix(names.atPhysical(f.physical())), f.total(),
            f.total() == 1 ? "" : "s", f.total() > f.matches().size() ? ", the first " + f.matches().size() + " listed" : ""));
        for (Ptov.Match m : f.matches()) {
          sb.append(String.format("    0x%016x%s (%s page)%n", m.linear(), AddressNames.suffix(names.at(m.linear())), m.pageSize().label()));
          for (WalkStep s : m.translation().steps()) {
            sb.append("        ").append(s).append(System.lineSeparator());
          }
        }
      }
    }
    return sb.toString();
  }
}
