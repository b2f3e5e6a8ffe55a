package org.kexecsim.analyzer.diff;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.symbols.AddressNames;
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
  /** Each tag as printed, by ordinal: crash-region, page-table, ... */
  private static final String[] TAG_NAMES = java.util.Arrays.stream(DiffTag.values())
      .map(t -> t.name().toLowerCase(Locale.ROOT).replace('_', '-')).toArray(String[]::new);

  /** No range differs; ranges a dump excluded were not compared and do not count. */
  public boolean identical() {
    return ranges.stream().allMatch(DiffReport::excluded);
  }

  private static boolean excluded(DiffRange r) {
    return r.tags().stream().anyMatch(DiffTag::excluded);
  }

  /** Bytes present in both images' RAM that one of the dumps does not hold, so were not compared. */
  public long excludedBytes() {
    return ranges.stream().filter(DiffReport::excluded).mapToLong(DiffRange::size).sum();
  }

  public ObjectNode toJson() {
    return toJson(AddressNames.NONE);
  }

  /** With {@code names} naming the start of each range that lies in the kernel image. */
  public ObjectNode toJson(AddressNames names) {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("identical", identical());
    n.put("comparedBytes", comparedBytes);
    n.put("differingPages", differingPages);
    n.put("differingBytes", differingBytes);
    n.put("onlyInABytes", onlyInABytes);
    n.put("onlyInBBytes", onlyInBBytes);
    n.put("excludedBytes", excludedBytes());
    ArrayNode arr = n.putArray("ranges");
    for (DiffRange r : ranges) {
      ObjectNode o = arr.addObject();
      o.put("start", Hex.of(r.start()));
      names.atPhysical(r.start()).ifPresent(sym -> o.put("symbol", sym));
      o.put("end", Hex.of(r.end()));
      o.put("size", Hex.of(r.size()));
      ArrayNode t = o.putArray("tags");
      r.tags().stream().sorted().forEach(tag -> t.add(TAG_NAMES[tag.ordinal()]));
    }
    return n;
  }

  public String toText() {
    return toText(AddressNames.NONE);
  }

  /** With {@code names} naming the start of each range that lies in the kernel image. */
  public String toText(AddressNames names) {
    StringBuilder sb = new StringBuilder();
    String newline = System.lineSeparator();
    // "0x%012x-0x%012x %8s [tags]", built by hand: a String.format per range was most of the
    // report's time when a diff has thousands of ranges (a 1%-different 3 GiB pair: 7,864)
    for (DiffRange r : ranges) {
      hex12(sb, r.start());
      sb.append('-');
      hex12(sb, r.end());
      String size = ByteSize.format(r.size());
      sb.append(' ').repeat(' ', Math.max(0, 8 - size.length())).append(size).append(" [");
      String sep = "";
      for (DiffTag t : DiffTag.values()) { // in declaration order, as sorted() gave
        if (r.tags().contains(t)) {
          sb.append(sep).append(TAG_NAMES[t.ordinal()]);
          sep = ", ";
        }
      }
      sb.append(']').append(AddressNames.suffix(names.atPhysical(r.start()))).append(newline);
    }
    long excluded = excludedBytes();
    sb.append(String.format("%s: %d ranges, %d differing pages (%s), compared %s; only in A %s, only in B %s%s%n",
        identical() ? "IDENTICAL" : "DIFFERENT", ranges.size(), differingPages, ByteSize.format(differingBytes),
        ByteSize.format(comparedBytes - excluded), ByteSize.format(onlyInABytes), ByteSize.format(onlyInBBytes),
        excluded == 0 ? "" : "; not compared, excluded from a dump, " + ByteSize.format(excluded)));
    return sb.toString();
  }

  /** {@code value} as "0x" and at least 12 hex digits, as %012x prints it. */
  private static void hex12(StringBuilder sb, long value) {
    String h = Long.toHexString(value);
    sb.append("0x").repeat('0', Math.max(0, 12 - h.length())).append(h);
  }
}
