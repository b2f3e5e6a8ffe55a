package org.kexecsim.analyzer.checksum;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.checksum.ChecksumReport.RangeDigest;

/**
 * A saved {@code checksum --json} output, read back for {@code --verify}.
 *
 * @param pageAddresses ascending, with {@code pageDigests} at the same index
 */
public record DigestList(DigestAlgorithm algorithm, String image, List<RangeDigest> ranges, long excludedBytes,
    DigestAlgorithm pageAlgorithm, long[] pageAddresses, String[] pageDigests) {

  /** Reads a saved list; IllegalArgumentException names what is wrong with it. */
  public static DigestList fromJson(JsonNode n) {
    String format = n == null ? "" : n.path("format").asText();
    if ("kexec-sim/checksum/v1".equals(format)) {
      throw new IllegalArgumentException("digest list is kexec-sim/checksum/v1 (the old 4 MiB tree scheme); "
          + "this version computes plain digests: make the list again with checksum --json");
    }
    if (!ChecksumReport.FORMAT.equals(format)) {
      throw new IllegalArgumentException("not a digest list: \"format\" is not \"" + ChecksumReport.FORMAT + "\"");
    }
    try {
      DigestAlgorithm algorithm = DigestAlgorithm.fromCliName(n.path("algorithm").asText());
      if (!algorithm.forImages()) {
        throw new IllegalArgumentException("digest list names " + algorithm.cliName() + " as its image algorithm");
      }
      List<RangeDigest> ranges = new ArrayList<>();
      for (JsonNode r : n.path("ranges")) {
        ranges.add(new RangeDigest(Hex.parse(r.path("start").asText()), Hex.parse(r.path("size").asText()), r.path("digest").asText()));
      }
      JsonNode pages = n.path("pages");
      DigestAlgorithm pageAlgorithm = pages.isEmpty() ? null : DigestAlgorithm.fromCliName(n.path("pageAlgorithm").asText());
      long[] at = new long[pages.size()];
      String[] digests = new String[pages.size()];
      int i = 0;
      for (JsonNode p : pages) {
        at[i] = Hex.parse(p.path("physical").asText());
        digests[i] = p.path("digest").asText();
        if (i > 0 && Long.compareUnsigned(at[i], at[i - 1]) <= 0) {
          throw new IllegalArgumentException("digest list's pages are not in ascending address order at " + Hex.of(at[i]));
        }
        i++;
      }
      return new DigestList(algorithm, n.path("image").asText(), List.copyOf(ranges), n.path("excludedBytes").asLong(0),
          pageAlgorithm, at, digests);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("digest list has a malformed address: " + e.getMessage());
    }
  }
}
