package org.kexecsim.analyzer;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.kexecsim.mmu.ReservedBitFinding;

/**
 * The reserved bits an analysis walked through, each entry once (by where it lives), in the
 * order met; the first {@link #MAX_LISTED} in full, the count covers all. They are evidence about
 * the machine that wrote the dump, not a reason to refuse it.
 */
public final class Findings {
  public static final int MAX_LISTED = 64;

  private final Set<Long> seen = new HashSet<>();
  private final List<ReservedBitFinding> listed = new ArrayList<>();
  private long total;

  public void add(ReservedBitFinding f) {
    if (seen.add(f.step().entryPhysical())) {
      total++;
      if (listed.size() < MAX_LISTED) {
        listed.add(f);
      }
    }
  }

  public void addAll(List<ReservedBitFinding> fs) {
    fs.forEach(this::add);
  }

  public List<ReservedBitFinding> listed() {
    return List.copyOf(listed);
  }

  public long total() {
    return total;
  }

  /** The JSON array every report carries as "reservedBits". */
  public static void toJson(ObjectNode parent, List<ReservedBitFinding> listed, long total) {
    parent.put("reservedBitEntries", total);
    ArrayNode a = parent.putArray("reservedBits");
    for (ReservedBitFinding f : listed) {
      ObjectNode o = a.addObject();
      o.put("entry", f.step().table());
      o.put("index", f.step().index());
      o.put("entryPhysical", Hex.of(f.step().entryPhysical()));
      o.put("value", Hex.of(f.step().value()));
      o.put("bits", Hex.of(f.bits()));
      o.put("bitNames", f.bitNames());
      o.put("hardware", f.hardware());
    }
  }

  public void toJson(ObjectNode parent) {
    toJson(parent, listed, total);
  }

  /** "reserved bits: …" lines, indented by {@code indent}. */
  public static void toText(StringBuilder sb, String indent, List<ReservedBitFinding> listed, long total) {
    for (ReservedBitFinding f : listed) {
      sb.append(indent).append("reserved bits: ").append(f.describe()).append(System.lineSeparator());
    }
    if (total > listed.size()) {
      sb.append(indent).append(String.format("reserved bits: %d more entries not listed%n", total - listed.size()));
    }
  }

  public void toText(StringBuilder sb, String indent) {
    toText(sb, indent, listed, total);
  }
}
