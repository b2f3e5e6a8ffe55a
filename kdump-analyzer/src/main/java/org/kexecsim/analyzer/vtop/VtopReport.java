package org.kexecsim.analyzer.vtop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.Findings;
import org.kexecsim.analyzer.symbols.AddressNames;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.mmu.WalkStep;

/**
 * The translations of a vtop run and the paging context they used; {@code names} names the
 * addresses that are symbols ({@link AddressNames#NONE}: none).
 */
public record VtopReport(PagingContext paging, List<VtopResult> results, AddressNames names) {
  public VtopReport(PagingContext paging, List<VtopResult> results) {
    this(paging, results, AddressNames.NONE);
  }

  /** This report, naming addresses with {@code names}. */
  public VtopReport named(AddressNames names) {
    return new VtopReport(paging, results, names);
  }

  /** The reserved bits met: the root's (PAE PDPTEs) and every translation's, each entry once. */
  public Findings findings() {
    Findings f = new Findings();
    f.addAll(paging.rootFindings());
    for (VtopResult r : results) {
      f.addAll(ReservedBitFinding.of(paging.mode(), r.steps()));
    }
    return f;
  }

  public static final String FORMAT = "kexec-sim/vtop/v1";

  public boolean allMapped() {
    return results.stream().allMatch(VtopResult::isMapped);
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    ReportJson.paging(n, paging);
    findings().toJson(n);
    ArrayNode arr = n.putArray("translations");
    for (VtopResult r : results) {
      ObjectNode o = arr.addObject();
      o.put("linear", Hex.of(r.linear()));
      names.at(r.linear()).ifPresent(sym -> o.put("symbol", sym));
      o.put("mapped", r.isMapped());
      r.physical().ifPresent(pa -> o.put("physical", Hex.of(pa)));
      r.pageSize().ifPresent(s -> o.put("pageSize", s.label()));
      if (r.isMapped()) {
        o.put("inDump", r.inDump());
      }
      r.fault().ifPresent(f -> o.put("fault", f));
      ReportJson.steps(o, r.steps());
    }
    return n;
  }

  /** One line per address; with {@code verbose}, each entry read on the way. */
  public String toText(boolean verbose) {
    StringBuilder sb = new StringBuilder();
    sb.append("paging: ").append(paging.describe()).append(System.lineSeparator());
    for (VtopResult r : results) {
      if (r.isMapped()) {
        sb.append(String.format("0x%016x%s -> 0x%x (%s page)%s%n", r.linear(), AddressNames.suffix(names.at(r.linear())),
            r.physical().getAsLong(), r.pageSize().get().label(),
            r.inDump() ? "" : "; that page is not in the dump (excluded by the dump level)"));
      } else {
        sb.append(String.format("0x%016x%s -> not mapped: %s%n", r.linear(), AddressNames.suffix(names.at(r.linear())), r.fault().get()));
      }
      if (verbose) {
        for (WalkStep s : r.steps()) {
          sb.append("    ").append(s).append(System.lineSeparator());
        }
      }
    }
    findings().toText(sb, "");
    return sb.toString();
  }
}
