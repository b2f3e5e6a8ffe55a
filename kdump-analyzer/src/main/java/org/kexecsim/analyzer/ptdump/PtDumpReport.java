package org.kexecsim.analyzer.ptdump;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.Findings;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.symbols.AddressNames;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.memory.ByteSize;

/**
 * The mapped ranges of one hierarchy, user half first.
 *
 * @param tables how many table pages the walk read
 * @param unreadableTables tables linked from the hierarchy that lie outside the image
 * @param reservedBits present entries with reserved bits, walked through (the first {@link
 *     Findings#MAX_LISTED}); {@code reservedBitEntries} counts them all
 */
public record PtDumpReport(PagingContext paging, List<MappedRange> ranges, long tables, List<Long> unreadableTables,
    List<ReservedBitFinding> reservedBits, long reservedBitEntries) {
  public static final String FORMAT = "kexec-sim/ptdump/v1";

  public ObjectNode toJson() {
    return toJson(AddressNames.NONE);
  }

  /** With {@code names} naming the start of each range where a symbol is known. */
  public ObjectNode toJson(AddressNames names) {
    ObjectNode n = ReportJson.object(FORMAT);
    ReportJson.paging(n, paging);
    n.put("tables", tables);
    Findings.toJson(n, reservedBits, reservedBitEntries);
    ArrayNode u = n.putArray("unreadableTables");
    unreadableTables.forEach(pa -> u.add(Hex.of(pa)));
    ArrayNode arr = n.putArray("ranges");
    for (MappedRange r : ranges) {
      ObjectNode o = arr.addObject();
      o.put("start", Hex.of(r.start()));
      names.at(r.start()).ifPresent(sym -> o.put("symbol", sym));
      o.put("end", Hex.of(r.end()));
      o.put("size", Hex.of(r.size()));
      o.put("physical", Hex.of(r.physical()));
      o.put("physicallyContiguous", r.physicallyContiguous());
      o.put("pageSize", r.pageSize());
      o.put("leaves", r.leaves());
      o.put("rw", r.rw());
      o.put("user", r.user());
      o.put("nx", r.nx());
      o.put("global", r.global());
      o.put("half", r.kernel() ? "kernel" : "user");
    }
    return n;
  }

  /** dump_pagetables style: "---[ User Space ]---" then one line per range. */
  public String toText() {
    return toText(AddressNames.NONE);
  }

  /** With {@code names} naming the start of each range where a symbol is known. */
  public String toText(AddressNames names) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("paging: %s, %d tables%n", paging.describe(), tables));
    Boolean half = null;
    for (MappedRange r : ranges) {
      if (half == null || half != r.kernel()) {
        half = r.kernel();
        sb.append(half ? "---[ Kernel Space ]---" : "---[ User Space ]---").append(System.lineSeparator());
      }
      sb.append(String.format("0x%016x-0x%016x %8s %-2s %s -> 0x%x%s%s%n", r.start(), r.end(), ByteSize.format(r.size()),
          r.pageSize(), r.flagsText(), r.physical(), r.physicallyContiguous() ? "" : " (scattered)",
          names.at(r.start()).map(n -> "  " + n).orElse("")));
    }
    for (long pa : unreadableTables) {
      sb.append(String.format("table at 0x%x is outside the image%n", pa));
    }
    Findings.toText(sb, "", reservedBits, reservedBitEntries);
    return sb.toString();
  }
}
