package org.kexecsim.analyzer.diff;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.memory.ByteSize;

/**
 * Where two images differ.
 *
 * @param comparedBytes bytes present in both images
 * @param differingPages 4 KiB pages (or page pieces at range edges) present in both that differ
 * @param differingBytes the bytes of those pages
 * @param onlyInABytes RAM only A has; {@code onlyInBBytes} likewise
 */
public record DiffReport(List<DiffRange> ranges, long comparedBytes, long differingPages, long differingBytes,
    long onlyInABytes, long onlyInBBytes) {
  public static final String FORMAT = "kexec-sim/diff/v1";

  public boolean identical() {
    return ranges.isEmpty();
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("identical", identical());
    n.put("comparedBytes", comparedBytes);
    n.put("differingPages", differingPages);
    n.put("differingBytes", differingBytes);
    n.put("onlyInABytes", onlyInABytes);
    n.put("onlyInBBytes", onlyInBBytes);
    ArrayNode arr = n.putArray("ranges");
    for (DiffRange r : ranges) {
      ObjectNode o = arr.addObject();
      o.put("start", Hex.of(r.start()));
      o.put("end", Hex.of(r.end()));
      o.put("size", Hex.of(r.size()));
      ArrayNode t = o.putArray("tags");
      r.tags().stream().sorted().forEach(tag -> t.add(tag.name().toLowerCase(Locale.ROOT).replace('_', '-')));
    }
    return n;
  }

  public String toText() {
    StringBuilder sb = new StringBuilder();
    for (DiffRange r : ranges) {
      sb.append(String.format("0x%012x-0x%012x %8s %s%n", r.start(), r.end(), ByteSize.format(r.size()),
          r.tags().stream().sorted().map(t -> t.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()));
    }
    sb.append(String.format("%s: %d ranges, %d differing pages (%s), compared %s; only in A %s, only in B %s%n",
        identical() ? "IDENTICAL" : "DIFFERENT", ranges.size(), differingPages, ByteSize.format(differingBytes),
        ByteSize.format(comparedBytes), ByteSize.format(onlyInABytes), ByteSize.format(onlyInBBytes)));
    return sb.toString();
  }
}
