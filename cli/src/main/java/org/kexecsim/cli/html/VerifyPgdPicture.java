package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.kexecsim.analyzer.verify.ChangeKind;
import org.kexecsim.analyzer.verify.EntryChange;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerification;
import org.kexecsim.analyzer.verify.TableChange;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.mmu.PagingMode;

/**
 * {@code verify-pgd --html}: for each root, every changed table page as a grid of its entries
 * with the changed ones marked (a software write, or only the A/D bits a hardware walk sets),
 * and each changed entry before and after.
 */
public final class VerifyPgdPicture {
  private VerifyPgdPicture() {}

  public static void write(Path out, PgdVerification v, String before, String after) throws IOException {
    Html h = HtmlPage.begin("kexec-sim verify-pgd", after == null ? "image: " + before : "BEFORE: " + before + "   AFTER: " + after);
    h.raw("<p id=\"verdict\"").attr("class", v.preserved() ? "ok" : "bad").raw(">").text("overall: " + v.overallWord()).raw("</p>\n");
    section(h, v.roots());
    for (String note : v.notes()) {
      h.el("p", "sub", "note: " + note);
    }
    if (v.singleImage()) {
      h.el("p", "sub", PgdVerification.SINGLE_IMAGE_MEANING);
    }
    HtmlFile.write(out, HtmlPage.end(h));
  }

  /** Entries in one table page of this level (SDM §4.3–4.5): 1024 in 32-bit paging, 4 in a PAE PDPT, 512 otherwise. */
  static int entries(PagingMode mode, int level) {
    if (mode == PagingMode.BITS32) {
      return 1024;
    }
    return mode == PagingMode.PAE && level == 3 ? 4 : 512;
  }

  static void section(Html h, List<PgdVerdict> roots) {
    for (PgdVerdict r : roots) {
      h.raw("<div class=\"root\"").attr("data-label", r.label()).attr("data-verdict", r.verdictWord()).raw(">");
      h.el("h2", null, r.label() + ": " + r.verdictWord());
      h.el("p", "sub", r.paging().describe());
      h.raw("<table class=\"facts\"><tr><th>table pages checked</th><td>").text(r.tablesChecked())
          .raw("</td></tr><tr><th>leaf mappings</th><td>").text(r.leaves()).raw("</td></tr>");
      if (!r.singleImage()) {
        h.raw("<tr><th>changed by software</th><td").attr("class", r.softwareChangedTables() == 0 ? "ok" : "bad").raw(">").text(r.softwareChangedTables())
            .raw("</td></tr><tr><th>only A/D bits set (hardware walks)</th><td>").text(r.accessedDirtyOnlyTables()).raw("</td></tr>");
      }
      h.raw("</table>\n");
      if (!r.singleImage() && r.changes().isEmpty()) {
        h.el("p", "ok", "every table page reachable from this root is unchanged");
      }
      for (TableChange t : r.changes()) {
        table(h, r.paging().mode(), t);
      }
      for (long pa : r.unreadableInBefore()) {
        h.el("p", "bad", String.format("a table at 0x%x is linked but outside the image's RAM", pa));
      }
      h.raw("</div>\n");
    }
    h.raw("<div class=\"legend\"><span><i style=\"background:#b3261e\"></i>software write</span>")
        .raw("<span><i style=\"background:#e0a800\"></i>A/D bits only (a hardware walk)</span>")
        .raw("<span><i style=\"background:#f0f1f4\"></i>unchanged entry</span></div>\n");
  }

  private static void table(Html h, PagingMode mode, TableChange t) {
    h.raw("<div class=\"changed-table\"").attr("data-physical", String.format("0x%x", t.physical()))
        .attr("data-kind", t.software() ? "software" : "accessed-dirty").raw(">");
    h.el("h3", null, String.format("%s table at 0x%x (linear 0x%x..)%s", t.table(), t.physical(), t.linearBase(),
        t.missing() ? ": not in AFTER's RAM" : ": " + t.entries().size() + " entries differ"));
    if (t.missing()) {
      h.raw("</div>\n");
      return;
    }
    int n = entries(mode, t.level());
    int cols = 32;
    int cell = 14;
    int rows = (n + cols - 1) / cols;
    h.raw("<svg class=\"grid\"").attr("width", cols * cell + 2).attr("height", rows * cell + 2).raw(">");
    EntryChange[] at = new EntryChange[n];
    for (EntryChange e : t.entries()) {
      if (e.index() >= 0 && e.index() < n) {
        at[e.index()] = e;
      }
    }
    for (int i = 0; i < n; i++) {
      EntryChange e = at[i];
      h.raw("<rect").attr("x", 1 + (i % cols) * cell).attr("y", 1 + (i / cols) * cell).attr("width", cell - 2).attr("height", cell - 2);
      if (e == null) {
        h.attr("class", "e").raw("/>");
        continue;
      }
      h.attr("class", "e changed " + (e.kind() == ChangeKind.SOFTWARE ? "sw" : "ad")).attr("data-index", i)
          .attr("data-tip", String.format("[%d] linear 0x%x +%s%nbefore 0x%016x %s%nafter  0x%016x %s%n%s", i, e.linear(),
              ByteSize.format(e.size()), e.oldValue(), e.before(), e.newValue(), e.after(), e.kind().text()))
          .raw("/>");
    }
    h.raw("</svg>\n<table class=\"facts entries\"><tr><th>index</th><th>linear</th><th>before</th><th>after</th><th>kind</th></tr>\n");
    for (EntryChange e : t.entries()) {
      h.raw("<tr").attr("class", e.kind() == ChangeKind.SOFTWARE ? "sw" : "ad").attr("data-index", e.index()).raw("><td>")
          .text(e.index()).raw("</td><td class=\"mono\">").text(String.format("0x%x +%s", e.linear(), ByteSize.format(e.size())))
          .raw("</td><td class=\"mono\">").text(String.format("0x%016x %s", e.oldValue(), e.before()))
          .raw("</td><td class=\"mono\">").text(String.format("0x%016x %s", e.newValue(), e.after()))
          .raw("</td><td>").text(e.kind().text()).raw("</td></tr>\n");
    }
    h.raw("</table></div>\n");
  }
}
