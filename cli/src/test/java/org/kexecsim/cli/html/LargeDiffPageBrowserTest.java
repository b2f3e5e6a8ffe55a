package org.kexecsim.cli.html;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.diff.DiffRange;
import org.kexecsim.analyzer.diff.DiffReport;
import org.kexecsim.analyzer.diff.DiffTag;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.openqa.selenium.By;

/**
 * The diff page of a 64 GiB machine with a million differing pages scattered over all of RAM
 * (every 16th page, tags mixed, plus a whole 512 MiB crash region): it must stay under 5 MB and
 * open quickly. The load time is printed (navigation timing and the time page.js took to draw);
 * the assertion on it is generous, for a shared CI machine.
 */
class LargeDiffPageBrowserTest extends InBrowser {
  @TempDir static Path dir;

  @Test
  void sixtyFourGibDiffStaysSmallAndOpensFast() throws Exception {
    RamMap ram = RamMap.ofSize(64L << 30);
    List<Set<DiffTag>> tagSets = List.of(Set.of(), Set.of(DiffTag.PAGE_TABLE), Set.of(DiffTag.KERNEL_TEXT), Set.of(DiffTag.ONLY_IN_B));
    long crashStart = 1L << 30;
    long crashSize = 512L << 20;
    List<DiffRange> ranges = new ArrayList<>();
    EnumMap<DiffTag, Long> perTag = new EnumMap<>(DiffTag.class);
    long differing = 0;
    int n = 0;
    for (RamRange r : ram.ranges()) {
      for (long pa = r.start(); pa + 4096 <= r.end(); pa += 16 * 4096) {
        if (pa >= crashStart && pa < crashStart + crashSize) {
          if (pa == crashStart) {
            ranges.add(new DiffRange(crashStart, crashSize, Set.of(DiffTag.CRASH_REGION)));
            perTag.merge(DiffTag.CRASH_REGION, crashSize, Long::sum);
            differing += crashSize;
          }
          continue;
        }
        Set<DiffTag> tags = tagSets.get(n++ % tagSets.size());
        ranges.add(new DiffRange(pa, 4096, tags));
        tags.forEach(t -> perTag.merge(t, 4096L, Long::sum));
        differing += 4096;
      }
    }
    assertTrue(ranges.size() > 1_000_000, "ranges " + ranges.size());
    DiffReport report = new DiffReport(ranges, ram.usableBytes(), differing / 4096, differing, 0, perTag.getOrDefault(DiffTag.ONLY_IN_B, 0L));
    Path page = dir.resolve("diff-64g.html");
    long t0 = System.nanoTime();
    DiffPicture.write(page, report, "a.core", "b.core", ram, ram, Optional.empty());
    long writeMs = (System.nanoTime() - t0) / 1_000_000;
    long bytes = Files.size(page);
    assertEquals(List.of(), browser.open(page));
    double loadMs = ((Number) browser.js("const e = performance.getEntriesByType('navigation')[0]; return e.loadEventEnd - e.startTime;")).doubleValue();
    double drawnMs = Double.parseDouble((String) browser.js("return document.body.getAttribute('data-ready-ms')"));
    System.out.printf("64 GiB diff page: %d ranges, %d bytes (%.2f MB), written in %d ms; browser: load event %.0f ms, drawn %.0f ms after navigation start%n",
        ranges.size(), bytes, bytes / 1e6, writeMs, loadMs, drawnMs);
    assertTrue(bytes < 5_000_000, "page is " + bytes + " bytes");
    assertTrue(loadMs < 10_000 && drawnMs < 10_000, "load " + loadMs + " ms, drawn " + drawnMs + " ms");
    // the totals count every range, merged or not
    for (DiffTag t : perTag.keySet()) {
      String shown = browser.driver().findElement(By.cssSelector("tr[data-total='tag " + DiffPicture.tagName(t) + "'] td[data-bytes]")).getAttribute("data-bytes");
      assertEquals(String.valueOf(perTag.get(t)), shown, t.toString());
    }
    // the whole-RAM view draws a bounded number of marks, the crash region among them
    int marks = browser.driver().findElements(By.cssSelector("#physmap rect.item")).size();
    assertTrue(marks > 0 && marks <= 3000, "marks " + marks);
    assertTrue(browser.driver().findElements(By.cssSelector("#physmap rect.item[data-kind='crash-region']")).size() > 0);
    browser.screenshot("diff-64g");
  }

  @Test
  void scriptDataCannotCloseItsElement() throws Exception {
    String hostile = "</script><script>alert(1)</script><!-- \u2028 & \" '";
    Html h = HtmlPage.begin("t", "s");
    h.json("probe", java.util.Map.of("s", hostile));
    Path page = dir.resolve("json.html");
    Files.writeString(page, HtmlPage.end(h));
    assertEquals(List.of(), browser.open(page));
    assertEquals(hostile, browser.js("return JSON.parse(document.getElementById('probe').textContent).s"));
    assertEquals(2, browser.driver().findElements(By.tagName("script")).size());
  }
}
