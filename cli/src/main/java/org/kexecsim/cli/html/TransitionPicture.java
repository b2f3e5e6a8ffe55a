package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.transition.AllocatedPage;
import org.kexecsim.transition.MappingCheck;
import org.kexecsim.transition.PrepareReport;

/**
 * {@code transition --html}: each table set the transition uses as a tree of table pages with
 * the entries the control page's mappings go through, and a timeline of the routine, one mark
 * per instruction, with the control-register changes, paging off, the table switch and any fault.
 */
public final class TransitionPicture {
  private static final int COL = 215;
  private static final int BOX_W = 196;
  private static final int ROW = 17;
  private static final int HEAD = 34;
  private static final int GAP = 14;
  /** The fills of .entry.m0/.m1/.m2 in page.css, for the legend. */
  private static final String[] MAPPING_COLORS = {"#d5e6ff", "#d8f2dc", "#ffe0cc"};

  private TransitionPicture() {}

  public static void write(Path out, TransitionResult r, TransitionTrace trace) throws IOException {
    HtmlFile.write(out, page(r, trace, Optional.empty()));
  }

  /** The page; with {@code imageCheck}, also verify-pgd's verdict on the images written from the run. */
  static String page(TransitionResult r, TransitionTrace trace, Optional<PgdVerdict> imageCheck) {
    PrepareReport p = r.prepare();
    Html h = HtmlPage.begin("kexec-sim transition: " + p.arch() + " / " + p.design(),
        String.format("%s image, RAM %s, seed %d, routine %s (%d bytes)", p.kexecType(), ByteSize.format(p.ramBytes()), p.seed(),
            r.routine().origin(), r.routine().size()));
    boolean ok = r.outcome() == TransitionOutcome.ENTERED && (r.request().type() != org.kexecsim.kimage.ImageType.CRASH || r.oldPgd().preserved());
    h.raw("<p id=\"verdict\"").attr("class", ok ? "ok" : "bad").attr("data-outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT))
        .raw(">").text((ok ? "OK: " : "FAILED: ") + r.outcome().text() + " after " + r.instructions() + " instructions; old pgd "
            + (r.oldPgd().preserved() ? "preserved" : "WRITTEN (" + r.oldPgd().changedPages().size() + " table pages changed)"))
        .raw("</p>\n");
    h.raw("<ol class=\"steps\">");
    for (String s : r.steps()) {
      h.el("li", null, s);
    }
    h.raw("</ol>\n");
    tables(h, r);
    timeline(h, r, trace);
    for (String problem : r.problems()) {
      h.el("p", "bad", "problem: " + problem);
    }
    imageCheck.ifPresent(v -> {
      h.el("h2", null, "verify-pgd on the images written from this run");
      VerifyPgdPicture.section(h, List.of(v));
    });
    return HtmlPage.end(h);
  }

  private static void tables(Html h, TransitionResult r) {
    PrepareReport p = r.prepare();
    h.el("h2", null, "Table sets");
    List<MappingCheck> maps = p.mappings();
    List<TableTrees.Target> targets = new ArrayList<>();
    h.raw("<div class=\"legend\">");
    for (int i = 0; i < maps.size(); i++) {
      MappingCheck m = maps.get(i);
      targets.add(new TableTrees.Target(i, m.name(), m.virtual(), m.expectedPhysical()));
      h.raw("<span class=\"mapping\"").attr("data-mapping", i).raw("><i").attr("style", "background:" + MAPPING_COLORS[i % 3])
          .raw("></i>").text(String.format("%s: VA 0x%x → 0x%x, %s", m.name(), m.virtual(), m.expectedPhysical(), m.outcome()))
          .raw("</span>");
    }
    h.raw("<span><i style=\"background:#ffe9a8\"></i>the control page</span>")
        .raw("<span><i style=\"background:#fde2df\"></i>walk ends: not present</span></div>\n");
    Map<Long, String> roots = new LinkedHashMap<>();
    roots.put(p.oldCr3().root(), "crashed kernel's pgd (live, CR3 at the crash)");
    for (MappingCheck m : maps) {
      roots.putIfAbsent(m.root(), "root of the control page's mappings");
    }
    roots.putIfAbsent(p.switchRoot(), "table switched to");
    p.copyRoot().ifPresent(c -> roots.putIfAbsent(c, "copy root"));
    Map<Long, AllocatedPage> allocated = new LinkedHashMap<>();
    for (AllocatedPage a : p.pages()) {
      allocated.put(a.physical(), a);
    }
    Set<Long> changed = new LinkedHashSet<>(r.oldPgd().changedPages());
    for (var e : roots.entrySet()) {
      long root = e.getKey();
      String label = allocated.containsKey(root) && root != p.oldCr3().root() ? allocated.get(root).role() : e.getValue();
      h.raw("<div class=\"tableset\"").attr("data-root", String.format("0x%x", root)).attr("data-label", label).raw(">");
      h.el("h3", null, String.format("%s, root 0x%x", label, root));
      PagingState state;
      try {
        state = r.kernel().registers().withCr3(root).pagingState(r.post(), r.kernel().cpu());
      } catch (IllegalStateException ex) {
        h.el("p", "bad", "this root does not load: " + ex.getMessage()).raw("</div>\n");
        continue;
      }
      TableTrees.Tree tree = TableTrees.walk(r.post(), r.pre(), state, root, targets);
      drawTree(h, tree, allocated, changed, root == p.oldCr3().root());
      for (String note : tree.notes()) {
        h.el("p", "sub", note);
      }
      h.raw("</div>\n");
    }
    List<AllocatedPage> off = p.pages().stream().filter(a -> !a.used()).toList();
    for (AllocatedPage a : off) {
      h.el("p", "sub", String.format("allocated but not needed: %s at 0x%x", a.role(), a.physical()));
    }
  }

  private static void drawTree(Html h, TableTrees.Tree tree, Map<Long, AllocatedPage> allocated, Set<Long> changed, boolean live) {
    int[] colY = new int[8];
    Map<Long, int[]> pos = new LinkedHashMap<>();
    Map<String, int[]> leafPos = new LinkedHashMap<>();
    Html body = new Html();
    for (TableTrees.Node n : tree.nodes().values()) {
      int x = 10 + n.depth() * COL;
      int y = 10 + colY[n.depth()];
      int height = HEAD + ROW * n.entries().size() + 6;
      colY[n.depth()] += height + GAP;
      pos.put(n.table(), new int[] {x, y});
      AllocatedPage a = allocated.get(n.table());
      String role = a != null ? a.role() : (live ? "crashed kernel's " : "") + n.kind();
      boolean written = changed.contains(n.table());
      String cls = "page" + (a != null && a.origin() != org.kexecsim.transition.PageOrigin.LIVE_TABLE ? " design" : " live") + (written ? " written" : "");
      body.raw("<g class=\"node\"").attr("data-table", String.format("0x%x", n.table())).attr("data-role", role).attr("data-kind", n.kind())
          .attr("data-tip", String.format("%s table at 0x%x%s%s", n.kind(), n.table(), a != null ? "\n" + a.role() + " (" + a.origin().text() + ")" : "",
              written ? "\nWRITTEN by the transition (the crashed kernel's table changed)" : ""))
          .raw(">");
      body.raw("<rect").attr("class", cls).attr("x", x).attr("y", y).attr("width", BOX_W).attr("height", height).attr("rx", 4).raw("/>");
      body.raw("<text").attr("x", x + 6).attr("y", y + 14).attr("font-weight", "600").raw(">").text(clip(role, 27)).raw("</text>");
      body.raw("<text").attr("x", x + 6).attr("y", y + 28).raw(">").text(String.format("%s 0x%x%s", n.kind(), n.table(), written ? "  WRITTEN" : "")).raw("</text>");
      int ey = y + HEAD;
      for (TableTrees.Entry e : n.entries().values()) {
        StringBuilder c = new StringBuilder("entry");
        c.append(e.targets().size() > 1 ? " multi" : " m" + (e.targets().getFirst() % 3));
        if (e.fault()) {
          c.append(" fault");
        }
        if (e.value() != e.before()) {
          c.append(" changed");
        }
        String what = e.fault() ? "not present" : e.leaf() != null ? e.leaf() : String.format("table 0x%x", e.child());
        body.raw("<g").attr("class", c.toString()).attr("data-index", e.index())
            .attr("data-tip", String.format("[%d] = 0x%x %s%s", e.index(), e.value(), what,
                e.value() != e.before() ? String.format("%nwas 0x%x at the crash: written by the transition", e.before()) : ""))
            .raw(">");
        body.raw("<rect").attr("x", x + 4).attr("y", ey).attr("width", BOX_W - 8).attr("height", ROW - 2).attr("rx", 2).raw("/>");
        body.raw("<text").attr("x", x + 8).attr("y", ey + 12).raw(">").text(clip(String.format("[%d] %s", e.index(), what), 28)).raw("</text></g>");
        ey += ROW;
      }
      body.raw("</g>\n");
    }
    for (TableTrees.Leaf l : tree.leaves().values()) {
      int d = Math.min(l.depth(), colY.length - 1);
      int x = 10 + d * COL;
      int y = 10 + colY[d];
      colY[d] += 30 + GAP;
      leafPos.put(l.key(), new int[] {x, y});
      body.raw("<g").attr("class", "leaf" + (l.controlPage() ? " cp" : "")).attr("data-leaf", l.label())
          .attr("data-tip", l.label() + (l.controlPage() ? "\nholds the control page" : "")).raw(">")
          .raw("<rect").attr("x", x).attr("y", y).attr("width", BOX_W).attr("height", 28).attr("rx", 4).raw("/>")
          .raw("<text").attr("x", x + 6).attr("y", y + 18).raw(">").text(clip(l.label().replace(" page ", " ") + (l.controlPage() ? " control page" : ""), 28)).raw("</text></g>\n");
    }
    // links: from each entry's row to the table or page it points at
    StringBuilder links = new StringBuilder();
    for (TableTrees.Node n : tree.nodes().values()) {
      int[] p = pos.get(n.table());
      int ey = p[1] + HEAD + ROW / 2;
      for (TableTrees.Entry e : n.entries().values()) {
        int[] to = e.child() >= 0 ? pos.get(e.child()) : e.leaf() != null ? leafPos.get(e.leaf()) : null;
        if (to != null) {
          links.append(String.format("<line class=\"link\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", p[0] + BOX_W - 4, ey, to[0], to[1] + 12));
        }
        ey += ROW;
      }
    }
    int height = 20;
    int width = 20;
    for (int d = 0; d < colY.length; d++) {
      if (colY[d] > 0) {
        height = Math.max(height, colY[d] + 20);
        width = 10 + d * COL + BOX_W + 20;
      }
    }
    h.raw("<div class=\"scroll\"><svg class=\"tbl\"").attr("width", width).attr("height", height).attr("viewBox", "0 0 " + width + " " + height)
        .raw(">").raw(links.toString()).raw(body.toString()).raw("</svg></div>\n");
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }

  private static void timeline(Html h, TransitionResult r, TransitionTrace trace) {
    h.el("h2", null, "Timeline of the routine");
    if (trace == null || trace.total() == 0) {
      h.el("p", "sub", "no instructions recorded");
      return;
    }
    List<StepTrace> shown = new ArrayList<>(trace.first());
    int gapAt = trace.elided() > 0 ? shown.size() : -1;
    shown.addAll(trace.last());
    final int w = Math.max(3, Math.min(14, 1100 / Math.max(1, shown.size())));
    final int top = 58;
    final int markH = 44;
    int width = shown.size() * w + (gapAt >= 0 ? 40 : 0) + 60;
    List<Map<String, Object>> insns = new ArrayList<>();
    Map<String, String> initial = new LinkedHashMap<>();
    List<String> order = new ArrayList<>(List.of("cr0", "cr3", "cr4", "efer", "rip", "rsp", "eip", "esp"));
    Html marks = new Html();
    Html events = new Html();
    int evCount = 0;
    Integer pagingOffAt = null;
    for (int i = 0; i < shown.size(); i++) {
      StepTrace t = shown.get(i);
      long ordinal = i < trace.first().size() ? i + 1 : trace.total() - (shown.size() - i) + 1;
      int x = 30 + i * w + (gapAt >= 0 && i >= gapAt ? 40 : 0);
      List<List<String>> changes = new ArrayList<>();
      List<String> other = new ArrayList<>();
      StringBuilder cls = new StringBuilder("insn");
      List<String> ev = new ArrayList<>();
      for (StepTrace.Change c : t.changes()) {
        switch (c) {
          case StepTrace.RegisterChange rc -> {
            changes.add(List.of(rc.register(), rc.before(), rc.after()));
            initial.putIfAbsent(rc.register(), rc.before());
            if (!order.contains(rc.register())) {
              order.add(rc.register());
            }
            String reg = rc.register().toLowerCase(java.util.Locale.ROOT);
            if (reg.equals("cr0") || reg.equals("cr3") || reg.equals("cr4") || reg.equals("efer")) {
              cls.append(" cr ").append(reg);
              long before = parse(rc.before());
              long after = parse(rc.after());
              if (reg.equals("cr0") && (before & (1L << 31)) != 0 && (after & (1L << 31)) == 0) {
                cls.append(" pgoff");
                ev.add("paging off");
                pagingOffAt = x;
              } else if (reg.equals("cr0") && (before & (1L << 31)) == 0 && (after & (1L << 31)) != 0) {
                ev.add("paging on");
                if (pagingOffAt != null) {
                  events.raw("<rect class=\"band\"").attr("x", pagingOffAt).attr("y", top - 4).attr("width", x - pagingOffAt).attr("height", markH + 8).raw("/>");
                  pagingOffAt = null;
                }
              } else if (reg.equals("cr3")) {
                ev.add("table switch: CR3 " + rc.after());
              } else {
                ev.add(reg.toUpperCase(java.util.Locale.ROOT) + " " + rc.after());
              }
            }
          }
          case StepTrace.MemoryWrite mw -> other.add(mw.toString());
          case StepTrace.Exception ex -> {
            other.add("exception: " + ex);
            cls.append(" fault");
            ev.add(ex.event().vector().mnemonic());
          }
        }
      }
      boolean lastMark = i == shown.size() - 1;
      if (lastMark && r.outcome() == TransitionOutcome.TRIPLE_FAULT) {
        cls.append(" triple");
        ev.add("TRIPLE FAULT");
      } else if (lastMark && r.outcome() == TransitionOutcome.FAULTED && !cls.toString().contains("fault")) {
        cls.append(" fault");
        ev.add("fault delivered");
      }
      Map<String, Object> insn = new LinkedHashMap<>();
      insn.put("n", ordinal);
      insn.put("rip", String.format("0x%x", t.rip()));
      insn.put("bytes", HexFormat.ofDelimiter(" ").formatHex(t.bytes()));
      insn.put("asm", t.disassembly());
      insn.put("changes", changes);
      insn.put("other", other);
      insns.add(insn);
      marks.raw("<rect").attr("class", cls.toString()).attr("data-i", i).attr("data-n", ordinal).attr("data-asm", t.disassembly())
          .attr("x", x).attr("y", top).attr("width", Math.max(1, w - 1)).attr("height", markH).raw("/>");
      for (String e : ev) {
        int y = 12 + (evCount++ % 3) * 14;
        events.raw("<line class=\"ev\"").attr("x1", x + w / 2).attr("x2", x + w / 2).attr("y1", y + 2).attr("y2", top).raw("/>");
        events.raw("<text class=\"ev\"").attr("x", x).attr("y", y).attr("data-event", e).raw(">").text(e).raw("</text>");
      }
    }
    if (pagingOffAt != null) {
      events.raw("<rect class=\"band\"").attr("x", pagingOffAt).attr("y", top - 4).attr("width", width - pagingOffAt).attr("height", markH + 8).raw("/>");
    }
    String gap = "";
    if (gapAt >= 0) {
      int gx = 30 + gapAt * w;
      gap = String.format("<text x=\"%d\" y=\"%d\">…</text>", gx + 12, top + markH / 2 + 4);
    }
    h.el("p", "sub", String.format("%d instructions%s. Hover a mark for the instruction and the registers before it; blue: a control-register write, amber band: paging off, red: an exception, black: the triple fault.",
        trace.total(), trace.elided() > 0 ? String.format(" (%d in the middle not drawn)", trace.elided()) : ""));
    h.raw("<div class=\"scroll\"><svg class=\"tl\"").attr("width", width).attr("height", top + markH + 24)
        .attr("viewBox", "0 0 " + width + " " + (top + markH + 24)).raw(">")
        .raw(events.toString()).raw(marks.toString()).raw(gap).raw("</svg></div>\n");
    h.raw("<pre id=\"insn-detail\" class=\"mono\">hover an instruction</pre>\n");
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("insns", insns);
    data.put("initial", initial);
    data.put("order", order);
    h.json("timeline-data", data);
  }

  private static long parse(String hex) {
    String s = hex.trim();
    int sp = s.indexOf(' ');
    if (sp > 0) {
      s = s.substring(0, sp);
    }
    if (s.startsWith("0x")) {
      s = s.substring(2);
    }
    try {
      return Long.parseUnsignedLong(s, 16);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
