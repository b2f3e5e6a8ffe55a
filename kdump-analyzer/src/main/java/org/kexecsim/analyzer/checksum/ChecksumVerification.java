package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.ReportJson;

/**
 * The outcome of checking an image against a saved digest list.
 *
 * @param mismatches one line per differing item: "image", "range 0x..-0x..", "page 0x.."
 */
public record ChecksumVerification(ChecksumReport current, List<String> mismatches) {
  public static final String FORMAT = "kexec-sim/checksum-verify/v1";

  public boolean matches() {
    return mismatches.isEmpty();
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("matches", matches());
    ArrayNode m = n.putArray("mismatches");
    mismatches.forEach(m::add);
    n.set("current", current.toJson());
    return n;
  }

  public String toText() {
    StringBuilder sb = new StringBuilder();
    mismatches.forEach(m -> sb.append("MISMATCH ").append(m).append(System.lineSeparator()));
    sb.append(matches() ? "OK: image matches the digest list" : "FAILED: " + mismatches.size() + " mismatches")
        .append(System.lineSeparator());
    return sb.toString();
  }
}
