package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.memory.ByteSize;

/**
 * Digests of an image's physical content (see {@link ImageChecksum}): the image's, and each
 * range's when asked for. Page digests are not kept here: they stream out as they are made
 * ({@link ChecksumWriter}), and a saved list's are read back by {@link DigestList}.
 *
 * @param image hex digest of the RAM ranges' bytes concatenated in address order
 * @param ranges per-range digests, empty unless asked for
 * @param excludedBytes RAM the dump does not hold (makedumpfile's dump level excluded it): the
 *     digests cover only the pages it holds, and excluded pages have no page digest
 * @param pageAlgorithm the page digests' algorithm, or null when none were made
 * @param pages how many page digests were made
 */
public record ChecksumReport(DigestAlgorithm algorithm, String image, List<RangeDigest> ranges, long excludedBytes,
    DigestAlgorithm pageAlgorithm, long pages) {
  /** v2: plain digests of the byte stream (v1 was a tree of 4 MiB leaves that no other tool computes). */
  public static final String FORMAT = "kexec-sim/checksum/v2";

  /** One RAM range: {@code [start, start+size)}. */
  public record RangeDigest(long start, long size, String digest) {}

  /** The fields after the page list, closing the object {@link ChecksumWriter} opened. */
  void writeTail(JsonGenerator g) throws IOException {
    g.writeStringField("image", image);
    g.writeNumberField("excludedBytes", excludedBytes);
    g.writeArrayFieldStart("ranges");
    for (RangeDigest r : ranges) {
      g.writeStartObject();
      g.writeStringField("start", Hex.of(r.start()));
      g.writeStringField("size", Hex.of(r.size()));
      g.writeStringField("digest", r.digest());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeNumberField("pageCount", pages);
  }

  /** sha256sum-like lines: algorithm:digest, then what it covers. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    String alg = algorithm.cliName();
    sb.append(String.format("%s:%s  image (%s)%n", alg, image, excludedBytes == 0 ? "all ranges, in address order"
        : "all ranges; covers only the pages the dump holds: " + ByteSize.format(excludedBytes) + " excluded by its dump level"));
    for (RangeDigest r : ranges) {
      sb.append(String.format("%s:%s  range 0x%x-0x%x (%s)%n", alg, r.digest(), r.start(), r.start() + r.size() - 1,
          ByteSize.format(r.size())));
    }
    return sb.toString();
  }
}
