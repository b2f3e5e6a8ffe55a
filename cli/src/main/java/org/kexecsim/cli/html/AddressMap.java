package org.kexecsim.cli.html;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A zoomable map of an address space for page.js: background spans (RAM, the halves of a
 * virtual space) and sorted, non-overlapping items each of one kind. The browser draws only what
 * the current zoom shows, merged per pixel; this side bounds what the file carries: past {@code
 * maxItems} neighbours are merged across ever wider gaps (each merged item keeps the
 * highest-priority kind and counts what it holds), so the page's size does not grow with RAM.
 *
 * <p>Addresses travel as JSON numbers, exact in JavaScript's doubles for physical addresses
 * (below 2^52) and for page-aligned offsets below 2^64; a sign-extended virtual address is sent
 * as its offset in the {@code bits}-wide space and shown sign-extended again.
 */
final class AddressMap {
  /** A colour class; lower index wins where items share a pixel. */
  record Kind(String name, String color, String label) {}

  private final String id;
  private final int bits;
  private final boolean signExtend;
  private final long lo;
  private final long hi;
  private final List<Kind> kinds;
  private final List<Object[]> spans = new ArrayList<>();
  private final List<long[]> items = new ArrayList<>(); // start, end, kind, detail, count
  private final Map<String, Integer> details = new LinkedHashMap<>();

  AddressMap(String id, int bits, boolean signExtend, long lo, long hi, List<Kind> kinds) {
    this.id = id;
    this.bits = bits;
    this.signExtend = signExtend;
    this.lo = lo;
    this.hi = hi;
    this.kinds = List.copyOf(kinds);
  }

  void span(long start, long end, String label) {
    spans.add(new Object[] {start, end, label});
  }

  /** Adds an item after the previous one (sorted by start, not overlapping). */
  void item(long start, long end, int kind, String detail) {
    int d = details.computeIfAbsent(detail, k -> details.size());
    items.add(new long[] {start, end, kind, d, 1});
  }

  /**
   * Merges items that share an aligned bucket of the smallest power-of-two size (at least a page)
   * that leaves at most {@code max} items: resolution degrades evenly over the whole space, a
   * range larger than a bucket keeps its bounds, and each merged item counts what it holds.
   */
  static List<long[]> aggregate(List<long[]> in, int max) {
    if (in.size() <= max) {
      return in;
    }
    int shift = 12;
    while (shift < 63 && marks(in, shift) > max) {
      shift++;
    }
    List<long[]> next = new ArrayList<>();
    long[] cur = null;
    for (long[] it : in) {
      if (cur != null && (it[0] >>> shift) == ((cur[1] - 1) >>> shift)) {
        cur[1] = Math.max(cur[1], it[1]);
        if (it[2] < cur[2]) {
          cur[2] = it[2];
          cur[3] = it[3];
        }
        cur[4] += it[4];
      } else {
        cur = it.clone();
        next.add(cur);
      }
    }
    return next;
  }

  /** How many items {@link #aggregate} leaves with buckets of {@code 1 << shift} bytes. */
  private static int marks(List<long[]> in, int shift) {
    int n = 0;
    long lastBucket = -1;
    for (long[] it : in) {
      if (n == 0 || (it[0] >>> shift) != lastBucket) {
        n++;
      }
      lastBucket = (it[1] - 1) >>> shift;
    }
    return n;
  }

  /** The map's host element, its data, and the legend. */
  void emit(Html h, int maxItems, long minSpan) {
    List<long[]> shown = aggregate(items, maxItems);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bits", bits);
    m.put("signExtend", signExtend);
    m.put("lo", lo);
    m.put("hi", hi);
    m.put("minSpan", minSpan);
    m.put("kinds", kinds.stream().map(k -> Map.of("name", k.name(), "color", k.color(), "label", k.label())).toList());
    m.put("details", List.copyOf(details.keySet()));
    m.put("spans", spans);
    m.put("items", shown);
    m.put("merged", shown.size() < items.size());
    h.raw("<div class=\"legend\">");
    for (Kind k : kinds) {
      h.raw("<span><i").attr("style", "background:" + k.color()).raw("></i>").text(k.label()).raw("</span>");
    }
    h.raw("</div>\n");
    if (shown.size() < items.size()) {
      h.el("p", "sub", String.format("%d ranges merged into %d marks for this page (ranges sharing an aligned block); a mark's tooltip counts its ranges, the totals count every range.",
          items.size(), shown.size()));
    }
    h.raw("<div class=\"scroll\"").attr("id", id).attr("data-map", id + "-data").raw("></div>\n");
    h.json(id + "-data", m);
  }
}
