package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.checksum.ChecksumReport.RangeDigest;
import org.kexecsim.memory.PhysicalMemory;

/**
 * The outcome of checking an image against a saved digest list.
 *
 * @param mismatches one line per differing item: "image", "range 0x..-0x..", "page 0x.."
 */
public record ChecksumVerification(ChecksumReport current, List<String> mismatches) {
  public static final String FORMAT = "kexec-sim/checksum-verify/v2";

  public boolean matches() {
    return mismatches.isEmpty();
  }

  /**
   * Recomputes with the list's algorithms (ranges and pages if it has them) and compares; page
   * digests are compared as they are made, against the list's in address order.
   */
  public static ChecksumVerification verify(PhysicalMemory memory, DigestList saved, int threads, Progress progress) {
    List<String> mismatches = new ArrayList<>();
    PageCheck pages = new PageCheck(saved, mismatches);
    ChecksumReport now = ImageChecksum.compute(memory,
        new ImageChecksum.Request(saved.algorithm(), !saved.ranges().isEmpty(), saved.pageAlgorithm(), threads), pages, progress);
    pages.finish();
    List<String> head = new ArrayList<>();
    if (!now.image().equals(saved.image())) {
      head.add("image");
    }
    if (now.excludedBytes() != saved.excludedBytes()) {
      head.add(String.format("coverage: the image leaves out %d bytes, the digest list %d", now.excludedBytes(),
          saved.excludedBytes()));
    }
    Map<Long, RangeDigest> nowRanges = new HashMap<>();
    now.ranges().forEach(r -> nowRanges.put(r.start(), r));
    for (RangeDigest r : saved.ranges()) {
      RangeDigest c = nowRanges.remove(r.start());
      String name = String.format("range 0x%x-0x%x", r.start(), r.start() + r.size() - 1);
      if (c == null || c.size() != r.size()) {
        head.add(name + " is not in the image's RAM map");
      } else if (!c.digest().equals(r.digest())) {
        head.add(name);
      }
    }
    nowRanges.values().forEach(r -> head.add(String.format("range 0x%x-0x%x is not in the digest list",
        r.start(), r.start() + r.size() - 1)));
    head.addAll(mismatches);
    return new ChecksumVerification(now, List.copyOf(head));
  }

  /** Compares page digests in address order against the saved ones. */
  private static final class PageCheck implements ImageChecksum.PageSink {
    private final DigestList saved;
    private final List<String> out;
    private int next;

    PageCheck(DigestList saved, List<String> out) {
      this.saved = saved;
      this.out = out;
    }

    @Override
    public void page(long physical, String digest) {
      long[] at = saved.pageAddresses();
      while (next < at.length && Long.compareUnsigned(at[next], physical) < 0) {
        out.add(String.format("page 0x%x is not in the image", at[next++]));
      }
      if (next < at.length && at[next] == physical) {
        if (!saved.pageDigests()[next].equals(digest)) {
          out.add(String.format("page 0x%x", physical));
        }
        next++;
      } else {
        out.add(String.format("page 0x%x is not in the digest list", physical));
      }
    }

    void finish() {
      long[] at = saved.pageAddresses();
      while (next < at.length) {
        out.add(String.format("page 0x%x is not in the image", at[next++]));
      }
    }
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("matches", matches());
    ArrayNode m = n.putArray("mismatches");
    mismatches.forEach(m::add);
    ObjectNode c = n.putObject("current");
    c.put("algorithm", current.algorithm().cliName());
    c.put("image", current.image());
    c.put("excludedBytes", current.excludedBytes());
    c.put("pageCount", current.pages());
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
