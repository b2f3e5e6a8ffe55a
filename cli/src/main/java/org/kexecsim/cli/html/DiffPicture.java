package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.kexecsim.analyzer.diff.DiffRange;
import org.kexecsim.analyzer.diff.DiffReport;
import org.kexecsim.analyzer.diff.DiffTag;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * {@code diff --html}: the physical address space of both images, each differing range coloured
 * by its most telling tag, zoomable from all of RAM down to single pages, with totals per tag.
 */
public final class DiffPicture {
  /** Marks the page carries at most; past that neighbours merge (a 64 GiB diff stays a few MB). */
  static final int MAX_MARKS = 30_000;

  /** Priority order: what a reader of a kdump diff most needs to see wins a shared pixel. */
  private static final List<DiffTag> ORDER = List.of(DiffTag.PAGE_TABLE, DiffTag.KERNEL_TEXT, DiffTag.CRASH_REGION,
      DiffTag.ONLY_IN_A, DiffTag.ONLY_IN_B, DiffTag.EXCLUDED_IN_A, DiffTag.EXCLUDED_IN_B);
  private static final Map<DiffTag, String> COLORS = new EnumMap<>(Map.of(
      DiffTag.PAGE_TABLE, "#d7263d", DiffTag.KERNEL_TEXT, "#7b2cbf", DiffTag.CRASH_REGION, "#2a64c5",
      DiffTag.ONLY_IN_A, "#f08a24", DiffTag.ONLY_IN_B, "#1b998b", DiffTag.EXCLUDED_IN_A, "#9aa3ad",
      DiffTag.EXCLUDED_IN_B, "#bcc3cb"));

  private DiffPicture() {}

  public static void write(Path out, DiffReport report, String nameA, String nameB, RamMap ramA, RamMap ramB,
      Optional<String> taggedFrom) throws IOException {
    HtmlFile.write(out, render(report, nameA, nameB, ramA, ramB, taggedFrom));
  }

  static String tagName(DiffTag t) {
    return t.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String render(DiffReport report, String nameA, String nameB, RamMap ramA, RamMap ramB, Optional<String> taggedFrom) {
    Html h = HtmlPage.begin("kexec-sim diff", "A: " + nameA + "   B: " + nameB);
    h.raw("<p id=\"verdict\"").attr("class", report.identical() ? "ok" : "bad").raw(">")
        .text(report.identical() ? "IDENTICAL" : "DIFFERENT").raw("</p>\n");
    List<AddressMap.Kind> kinds = new ArrayList<>();
    for (DiffTag t : ORDER) {
      kinds.add(new AddressMap.Kind(tagName(t), COLORS.get(t), tagName(t)));
    }
    kinds.add(new AddressMap.Kind("untagged", "#e0a800", "differs (untagged)"));
    long hi = Math.max(ramA.end(), ramB.end());
    for (DiffRange r : report.ranges()) {
      hi = Math.max(hi, r.end());
    }
    hi = Math.max(4096, (hi + 0xFFFL) & ~0xFFFL);
    AddressMap map = new AddressMap("physmap", 52, false, 0, hi, kinds);
    addRam(map, ramA, ramB);
    EnumMap<DiffTag, Long> perTag = new EnumMap<>(DiffTag.class);
    long untagged = 0;
    Map<java.util.Set<DiffTag>, String> detailOf = new java.util.HashMap<>(); // a few tag sets, a million ranges
    for (DiffRange r : report.ranges()) {
      int kind = ORDER.size();
      for (int i = ORDER.size() - 1; i >= 0; i--) {
        if (r.tags().contains(ORDER.get(i))) {
          kind = i;
        }
      }
      String detail = detailOf.computeIfAbsent(r.tags(), tags -> {
        List<String> names = tags.stream().sorted().map(DiffPicture::tagName).toList();
        return names.isEmpty() ? "untagged" : String.join(", ", names);
      });
      map.item(r.start(), r.end(), kind, detail);
      for (DiffTag t : r.tags()) {
        perTag.merge(t, r.size(), Long::sum);
      }
      if (r.tags().isEmpty()) {
        untagged += r.size();
      }
    }
    h.el("h2", null, "Physical address space");
    h.el("p", "sub", "Grey: RAM. Scroll on the map to zoom (down to single 4 KiB pages), drag to pan, double-click a mark to zoom to it.");
    map.emit(h, MAX_MARKS, 16 * 4096);
    h.el("h2", null, "Totals");
    h.raw("<table class=\"facts\" id=\"totals\"><tr><th>what</th><th>bytes</th><th></th></tr>\n");
    total(h, "compared", report.comparedBytes(), "present in both images");
    total(h, "differing", report.differingBytes(), report.differingPages() + " pages");
    total(h, "only-in-a", report.onlyInABytes(), "RAM only A has");
    total(h, "only-in-b", report.onlyInBBytes(), "RAM only B has");
    for (DiffTag t : ORDER) {
      if (perTag.containsKey(t)) {
        total(h, "tag " + tagName(t), perTag.get(t), "in ranges tagged " + tagName(t));
      }
    }
    if (untagged > 0) {
      total(h, "untagged", untagged, "differing, no tag");
    }
    h.raw("</table>\n");
    taggedFrom.ifPresent(s -> h.el("p", "sub", "page-table tags from A's " + s));
    rangeList(h, report);
    return HtmlPage.end(h);
  }

  private static void addRam(AddressMap map, RamMap a, RamMap b) {
    for (RamRange r : a.ranges()) {
      map.span(r.start(), r.end(), "A RAM");
    }
    if (!b.equals(a)) {
      for (RamRange r : b.ranges()) {
        map.span(r.start(), r.end(), "B RAM");
      }
    }
  }

  private static void total(Html h, String what, long bytes, String note) {
    h.raw("<tr").attr("data-total", what).raw("><td>").text(what).raw("</td><td class=\"mono\"")
        .attr("data-bytes", bytes).raw(">").text(ByteSize.format(bytes) + " (" + bytes + ")").raw("</td><td>")
        .text(note).raw("</td></tr>\n");
  }

  /** The first ranges as a table, each a link that zooms the map to it. */
  private static void rangeList(Html h, DiffReport report) {
    final int listed = 200;
    h.el("h2", null, "Ranges" + (report.ranges().size() > listed ? " (first " + listed + " of " + report.ranges().size() + ")" : ""));
    h.raw("<table class=\"facts\" id=\"ranges\"><tr><th>start</th><th>end</th><th>size</th><th>tags</th></tr>\n");
    for (DiffRange r : report.ranges().subList(0, Math.min(listed, report.ranges().size()))) {
      String tags = String.join(", ", r.tags().stream().sorted().map(DiffPicture::tagName).toList());
      h.raw("<tr><td class=\"mono\"><a href=\"#\" data-zoom=\"physmap\"").attr("data-s", r.start()).attr("data-e", r.end())
          .raw(">").text(String.format("0x%x", r.start())).raw("</a></td><td class=\"mono\">")
          .text(String.format("0x%x", r.end())).raw("</td><td>").text(ByteSize.format(r.size())).raw("</td><td>")
          .text(tags.isEmpty() ? "untagged" : tags).raw("</td></tr>\n");
    }
    h.raw("</table>\n");
  }
}
