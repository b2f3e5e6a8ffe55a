package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.kexecsim.analyzer.ptdump.MappedRange;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.mmu.PagingMode;

/**
 * {@code ptdump --html}: the virtual address space as a zoomable map of the mapped ranges
 * coloured by rights, the same ranges as blocks sized by their length (log scale, so a 4 KiB
 * page and a 1 GiB mapping both show), and the writable-and-executable ranges listed: the ones
 * the kernel's CONFIG_DEBUG_WX check (arch/x86/mm/dump_pagetables.c, ptdump_walk_pgd_level_checkwx)
 * warns about.
 */
public final class PtdumpPicture {
  static final int MAX_MARKS = 30_000;
  static final int MAX_BLOCKS = 4_000;

  private static final List<AddressMap.Kind> KINDS = List.of(
      new AddressMap.Kind("wx", "#d7263d", "W+X (writable and executable)"),
      new AddressMap.Kind("rx", "#7b2cbf", "read-only, executable"),
      new AddressMap.Kind("rw", "#2a64c5", "writable, NX"),
      new AddressMap.Kind("ro", "#5c946e", "read-only, NX"));

  private PtdumpPicture() {}

  public static void write(Path out, PtDumpReport report, String imageName) throws IOException {
    HtmlFile.write(out, render(report, imageName));
  }

  static int kind(MappedRange r) {
    if (r.rw() && !r.nx()) {
      return 0;
    }
    if (!r.nx()) {
      return 1;
    }
    return r.rw() ? 2 : 3;
  }

  static String detail(MappedRange r) {
    return String.format("%s %s%s%s%s, %s pages", r.kernel() ? "kernel" : "user", r.rw() ? "RW" : "ro",
        r.user() ? " USR" : "", r.global() ? " GLB" : "", r.nx() ? " NX" : " x", r.pageSize());
  }

  static String render(PtDumpReport report, String imageName) {
    PagingMode mode = report.paging().mode();
    int bits = switch (mode) {
      case LEVEL5 -> 57;
      case LEVEL4 -> 48;
      default -> 32;
    };
    long mask = (1L << bits) - 1; // a sign-extended address as its offset in the space
    long top = 1L << bits;
    Html h = HtmlPage.begin("kexec-sim ptdump", imageName + ": " + report.paging().describe());
    long wx = report.ranges().stream().filter(r -> kind(r) == 0).count();
    h.raw("<p id=\"summary\">").text(String.format("%d mapped ranges, %d table pages read; ", report.ranges().size(), report.tables()))
        .raw("<span").attr("class", wx == 0 ? "ok" : "bad").attr("id", "wx-count").attr("data-wx", wx).raw(">")
        .text(wx == 0 ? "no W+X ranges" : wx + " W+X ranges").raw("</span></p>\n");
    AddressMap map = new AddressMap("vamap", bits, mode.isLongMode(), 0, top, KINDS);
    long half = mode.isLongMode() ? 1L << (bits - 1) : 0xC000_0000L; // PAGE_OFFSET on i386
    map.span(0, half, "user half");
    map.span(half, top, "kernel half");
    List<MappedRange> sorted = new ArrayList<>(report.ranges());
    sorted.sort(Comparator.comparingLong(r -> r.start() & mask));
    for (MappedRange r : sorted) {
      long s = r.start() & mask;
      map.item(s, s + r.size(), kind(r), detail(r));
    }
    h.el("h2", null, "Virtual address space");
    h.el("p", "sub", "Grey: the user and the kernel half. Scroll on the map to zoom, drag to pan, double-click a mark to zoom to it.");
    map.emit(h, MAX_MARKS, 16 * 4096);
    blocks(h, sorted);
    wxList(h, sorted);
    return HtmlPage.end(h);
  }

  /** Every range in address order as a block whose width grows with log2 of its size. */
  private static void blocks(Html h, List<MappedRange> ranges) {
    h.el("h2", null, "Ranges by size" + (ranges.size() > MAX_BLOCKS ? " (first " + MAX_BLOCKS + " of " + ranges.size() + ")" : ""));
    h.el("p", "sub", "One block per range in address order; width from 4 KiB (narrowest) doubling per step; red outline: W+X.");
    final int width = 1000;
    final int rowH = 26;
    Html b = new Html();
    int x = 0;
    int y = 0;
    int n = 0;
    for (MappedRange r : ranges) {
      if (n++ == MAX_BLOCKS) {
        break;
      }
      int log = 63 - Long.numberOfLeadingZeros(Math.max(1, r.size() >>> 12));
      int w = 6 + 5 * log;
      if (x + w > width) {
        x = 0;
        y += rowH;
      }
      int k = kind(r);
      b.raw("<rect").attr("class", "b k-" + KINDS.get(k).name() + (k == 0 ? " wx" : "")).attr("x", x).attr("y", y)
          .attr("width", w - 1).attr("height", rowH - 4).attr("fill", KINDS.get(k).color())
          .attr("data-start", String.format("0x%x", r.start()))
          .attr("data-tip", String.format("0x%x-0x%x %s%n%s%n-> 0x%x%s", r.start(), r.end(), ByteSize.format(r.size()),
              detail(r), r.physical(), r.physicallyContiguous() ? "" : " (scattered)"))
          .raw("/>");
      x += w;
    }
    h.raw("<div class=\"scroll\"><svg class=\"blocks\"").attr("width", width).attr("height", y + rowH)
        .attr("viewBox", "0 0 " + width + " " + (y + rowH)).raw(">").raw(b.toString()).raw("</svg></div>\n");
  }

  private static void wxList(Html h, List<MappedRange> ranges) {
    List<MappedRange> wx = ranges.stream().filter(r -> kind(r) == 0).toList();
    h.el("h2", null, "W+X ranges");
    if (wx.isEmpty()) {
      h.el("p", "ok", "none: every writable range is NX");
      return;
    }
    h.raw("<table class=\"facts\" id=\"wx\"><tr><th>start</th><th>end</th><th>size</th><th>rights</th><th>physical</th></tr>\n");
    for (MappedRange r : wx.subList(0, Math.min(500, wx.size()))) {
      h.raw("<tr class=\"wx-row\"><td class=\"mono\">").text(String.format("0x%x", r.start())).raw("</td><td class=\"mono\">")
          .text(String.format("0x%x", r.end())).raw("</td><td>").text(ByteSize.format(r.size())).raw("</td><td>")
          .text(detail(r)).raw("</td><td class=\"mono\">").text(String.format("0x%x", r.physical())).raw("</td></tr>\n");
    }
    h.raw("</table>\n");
  }
}
