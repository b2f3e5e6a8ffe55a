package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.memory.ByteSize;

/**
 * Digests of an image's physical content (see {@link ImageChecksum} for how they combine).
 * This JSON is also the saved digest list that {@code --verify} reads back.
 *
 * @param scheme e.g. "blake3-tree-4M": algorithm, combination and chunk size
 * @param pages per-page digests, empty unless asked for
 * @param excludedBytes RAM the dump does not hold (makedumpfile's dump level excluded it): the
 *     digests cover only the pages it holds, and excluded pages have no page digest
 */
public record ChecksumReport(DigestAlgorithm algorithm, String scheme, long chunkSize, String image,
    List<RangeDigest> ranges, List<PageDigest> pages, long excludedBytes) {
  public static final String FORMAT = "kexec-sim/checksum/v1";

  /** One RAM range: {@code [start, start+size)}. */
  public record RangeDigest(long start, long size, String digest) {}

  /** One 4 KiB page (or the piece of it inside a range). */
  public record PageDigest(long physical, String digest) {}

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("algorithm", algorithm.cliName());
    n.put("scheme", scheme);
    n.put("chunkSize", chunkSize);
    n.put("image", image);
    n.put("excludedBytes", excludedBytes);
    ArrayNode rs = n.putArray("ranges");
    for (RangeDigest r : ranges) {
      rs.addObject().put("start", Hex.of(r.start())).put("size", Hex.of(r.size())).put("digest", r.digest());
    }
    ArrayNode ps = n.putArray("pages");
    for (PageDigest p : pages) {
      ps.addObject().put("physical", Hex.of(p.physical())).put("digest", p.digest());
    }
    return n;
  }

  /** Reads a saved list; IllegalArgumentException names what is wrong with it. */
  public static ChecksumReport fromJson(JsonNode n) {
    if (n == null || !FORMAT.equals(n.path("format").asText())) {
      throw new IllegalArgumentException("not a digest list: \"format\" is not \"" + FORMAT + "\"");
    }
    try {
      List<RangeDigest> ranges = new ArrayList<>();
      for (JsonNode r : n.path("ranges")) {
        ranges.add(new RangeDigest(Hex.parse(r.path("start").asText()), Hex.parse(r.path("size").asText()), r.path("digest").asText()));
      }
      List<PageDigest> pages = new ArrayList<>();
      for (JsonNode p : n.path("pages")) {
        pages.add(new PageDigest(Hex.parse(p.path("physical").asText()), p.path("digest").asText()));
      }
      return new ChecksumReport(DigestAlgorithm.fromCliName(n.path("algorithm").asText()), n.path("scheme").asText(),
          n.path("chunkSize").asLong(), n.path("image").asText(), List.copyOf(ranges), List.copyOf(pages),
          n.path("excludedBytes").asLong(0));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("digest list has a malformed address: " + e.getMessage());
    }
  }

  /** sha256sum-like lines: digest, then what it covers. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%s:%s  image (%s)%n", scheme, image, excludedBytes == 0 ? "all ranges"
        : "all ranges; covers only the pages the dump holds: " + ByteSize.format(excludedBytes) + " excluded by its dump level"));
    for (RangeDigest r : ranges) {
      sb.append(String.format("%s:%s  range 0x%x-0x%x (%s)%n", scheme, r.digest(), r.start(), r.start() + r.size() - 1,
          ByteSize.format(r.size())));
    }
    for (PageDigest p : pages) {
      sb.append(String.format("%s  page 0x%x%n", p.digest(), p.physical()));
    }
    return sb.toString();
  }
}
