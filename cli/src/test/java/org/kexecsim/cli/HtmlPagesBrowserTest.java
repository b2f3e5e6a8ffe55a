package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.cli.html.Browser;
import org.kexecsim.cli.html.InBrowser;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * Every {@code --html} page, made by the CLI and opened in headless Chromium: it loads without a
 * SEVERE browser log entry and its DOM (read through WebDriver, not the HTML text) shows what the
 * command's own JSON says: the design's table pages, the written entry, the tagged ranges.
 * Screenshots go to target/html-screens (and to docs/img through scripts/html-screenshots.sh).
 */
class HtmlPagesBrowserTest extends InBrowser {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;

  private static JsonNode json(String... args) throws Exception {
    CliRun r = CliRun.of(args);
    assertTrue(r.exitCode() == 0 || r.exitCode() == 1, () -> String.join(" ", args) + ": " + r.err());
    return JSON.readTree(r.out());
  }

  private static void run(String... args) {
    CliRun r = CliRun.of(args);
    assertTrue(r.exitCode() == 0 || r.exitCode() == 1, () -> String.join(" ", args) + ": exit " + r.exitCode() + " " + r.err());
  }

  private static void load(Path page) {
    assertTrue(Files.exists(page), page + " not written");
    List<String> severe = browser.open(page);
    assertEquals(List.of(), severe, "browser log of " + page);
  }

  private static List<WebElement> all(String css) {
    return browser.driver().findElements(By.cssSelector(css));
  }

  private static Set<String> attrs(String css, String attr) {
    Set<String> s = new TreeSet<>();
    for (WebElement e : all(css)) {
      s.add(e.getAttribute(attr));
    }
    return s;
  }

  @Test
  void transitionPageDrawsTheDesignsTablesAndEveryInstruction() throws Exception {
    Path page = dir.resolve("pta.html");
    JsonNode doc = json("transition", "--arch", "x86_64", "--design", "page-table-a", "--html", page.toString(), "--json");
    load(page);
    // the page_table_a set holds every page the design allocated for it, with its role
    String set = ".tableset[data-label^='page_table_a']";
    assertFalse(all(set).isEmpty(), "no page_table_a table set; sets: " + attrs(".tableset", "data-label"));
    Set<String> expected = new TreeSet<>();
    for (JsonNode p : doc.at("/prepare/tablePages")) {
      if (p.get("role").asText().startsWith("page_table_a")) {
        expected.add(p.get("physical").asText() + " " + p.get("role").asText());
      }
    }
    assertTrue(expected.size() >= 4, "page_table_a pages in the JSON: " + expected);
    Set<String> drawn = new TreeSet<>();
    for (WebElement n : all(set + " g.node")) {
      drawn.add(n.getAttribute("data-table") + " " + n.getAttribute("data-role"));
    }
    assertEquals(expected, drawn);
    // both control-page mappings highlighted, ending at the control page
    assertFalse(all(set + " .entry.m0").isEmpty() && all(set + " .entry.multi").isEmpty(), "first mapping not highlighted");
    assertFalse(all(set + " .entry.m1").isEmpty() && all(set + " .entry.multi").isEmpty(), "second mapping not highlighted");
    String controlPage = doc.at("/prepare/controlPage").asText();
    assertTrue(attrs(set + " .leaf.cp", "data-leaf").stream().anyMatch(l -> l.endsWith(controlPage)),
        () -> "control page " + controlPage + " not among the leaves " + attrs(set + " .leaf", "data-leaf"));
    // one mark per instruction the routine ran (the CLI's own trace counts them)
    CliRun traced = CliRun.of("transition", "--arch", "x86_64", "--design", "page-table-a", "--trace");
    long instructions = traced.out().lines().filter(l -> l.matches("^[0-9a-f]{16}  .*")).count();
    assertEquals(instructions, all(".tl rect.insn").size());
    assertTrue(attrs(".tl text.ev", "data-event").stream().anyMatch(e -> e.startsWith("table switch")));
    // hovering the CR3 write shows the instruction and the registers
    WebElement cr3 = all(".tl rect.insn.cr3").getFirst();
    new Actions(browser.driver()).moveToElement(cr3).perform();
    String detail = browser.driver().findElement(By.id("insn-detail")).getText();
    assertTrue(detail.contains("%cr3") && detail.contains("cr3 = ") && detail.contains("cr3: "), detail);
    assertTrue(browser.driver().findElement(By.id("tip")).isDisplayed(), "hover panel hidden");
    browser.screenshot("transition");
  }

  @Test
  void legacyPageMarksTheWrittenLiveTableAndPagingOff() throws Exception {
    Path page = dir.resolve("legacy.html");
    JsonNode doc = json("transition", "--arch", "pae", "--design", "legacy", "--html", page.toString(), "--json");
    load(page);
    Set<String> changed = new TreeSet<>();
    doc.at("/oldPgd/changedPages").forEach(p -> changed.add(p.asText()));
    assertFalse(changed.isEmpty());
    Set<String> written = new TreeSet<>();
    for (WebElement n : all(".tableset g.node")) {
      if (!n.findElements(By.cssSelector("rect.page.written")).isEmpty()) {
        written.add(n.getAttribute("data-table"));
      }
    }
    assertFalse(written.isEmpty(), "no table drawn as written");
    assertTrue(changed.containsAll(written), "drawn written " + written + ", changed " + changed);
    assertFalse(all(".tableset .entry.changed").isEmpty(), "the overwritten entry is not marked");
    assertFalse(all(".tl rect.insn.pgoff").isEmpty(), "paging off not marked");
    assertEquals("FAILED", browser.driver().findElement(By.id("verdict")).getText().split(":")[0]);
  }

  @Test
  void tripleFaultIsTheLastMark() throws Exception {
    Path src = dir.resolve("ud2.S");
    Files.writeString(src, "\tnop\n\tud2\n");
    Path page = dir.resolve("triple.html");
    run("transition", "--arch", "i386", "--design", "legacy", "--routine", src.toString(), "--html", page.toString());
    load(page);
    List<WebElement> marks = all(".tl rect.insn");
    WebElement last = marks.getLast();
    assertTrue(last.getAttribute("class").contains("triple"), last.getAttribute("class"));
    Set<String> events = attrs(".tl text.ev", "data-event");
    assertTrue(events.containsAll(Set.of("#UD", "#DF", "TRIPLE FAULT")), events.toString());
    new Actions(browser.driver()).moveToElement(last).perform();
    assertTrue(browser.driver().findElement(By.id("insn-detail")).getText().contains("ud2"));
  }

  /** pre/post images of the legacy design on PAE, the one that writes the crashed kernel's tables. */
  private static JsonNode legacyImages() throws Exception {
    Path out = dir.resolve("legacy-images");
    if (!Files.exists(out.resolve("post.core"))) {
      return json("transition", "--arch", "pae", "--design", "legacy", "--out", out.toString(), "--force", "--json");
    }
    return json("transition", "--arch", "pae", "--design", "legacy", "--json");
  }

  @Test
  void verifyPgdPageMarksEachChangedEntry() throws Exception {
    legacyImages();
    Path pre = dir.resolve("legacy-images/pre.core");
    Path post = dir.resolve("legacy-images/post.core");
    Path page = dir.resolve("verify.html");
    JsonNode doc = json("verify-pgd", pre.toString(), post.toString(), "--json");
    run("verify-pgd", pre.toString(), post.toString(), "--html", page.toString());
    load(page);
    Set<String> tables = new TreeSet<>();
    Set<String> software = new TreeSet<>();
    for (JsonNode root : doc.get("roots")) {
      for (JsonNode t : root.get("changes")) {
        tables.add(t.get("physical").asText());
        for (JsonNode e : t.get("entries")) {
          if (e.get("kind").asText().equals("software")) {
            software.add(t.get("physical").asText() + "[" + e.get("index").asInt() + "]");
          }
        }
      }
    }
    assertFalse(software.isEmpty(), "legacy wrote no entry? " + doc);
    assertEquals(tables, attrs(".changed-table", "data-physical"));
    Set<String> drawn = new TreeSet<>();
    for (WebElement t : all(".changed-table")) {
      for (WebElement cell : t.findElements(By.cssSelector("rect.e.sw"))) {
        drawn.add(t.getAttribute("data-physical") + "[" + cell.getAttribute("data-index") + "]");
      }
    }
    assertEquals(software, drawn);
    assertTrue(browser.driver().findElement(By.id("verdict")).getText().contains("NOT PRESERVED"));
    browser.screenshot("verify-pgd");
  }

  @Test
  void diffPageColoursTheTaggedRangesAndZoomsToPages() throws Exception {
    JsonNode t = legacyImages();
    Path pre = dir.resolve("legacy-images/pre.core");
    Path post = dir.resolve("legacy-images/post.core");
    String crash = t.at("/prepare/crashRegion/start").asText() + "-" + t.at("/prepare/crashRegion/end").asText();
    Path page = dir.resolve("diff.html");
    JsonNode doc = json("diff", pre.toString(), post.toString(), "--crash-region", crash, "--json");
    run("diff", pre.toString(), post.toString(), "--crash-region", crash, "--html", page.toString());
    load(page);
    long pageTableBytes = 0;
    long crashBytes = 0;
    for (JsonNode r : doc.get("ranges")) {
      long size = Long.decode(r.get("size").asText());
      Set<String> tags = new HashSet<>();
      r.get("tags").forEach(x -> tags.add(x.asText()));
      pageTableBytes += tags.contains("page-table") ? size : 0;
      crashBytes += tags.contains("crash-region") ? size : 0;
    }
    assertTrue(pageTableBytes > 0 && crashBytes > 0, "legacy's diff should touch both: " + doc);
    assertEquals(String.valueOf(pageTableBytes), browser.driver().findElement(By.cssSelector("tr[data-total='tag page-table'] td[data-bytes]")).getAttribute("data-bytes"));
    assertEquals(String.valueOf(crashBytes), browser.driver().findElement(By.cssSelector("tr[data-total='tag crash-region'] td[data-bytes]")).getAttribute("data-bytes"));
    String tagsDrawn = String.join(" | ", attrs("#physmap rect.item", "data-tags"));
    assertTrue(tagsDrawn.contains("page-table") && tagsDrawn.contains("crash-region"), tagsDrawn);
    browser.screenshot("diff");
    // zoom to the first page-table range: single pages, each with its own boundary line
    JsonNode first = null;
    for (JsonNode r : doc.get("ranges")) {
      if (first == null && r.get("tags").toString().contains("page-table")) {
        first = r;
      }
    }
    WebElement link = browser.driver().findElement(By.cssSelector("#ranges a[data-s='" + Long.decode(first.get("start").asText()) + "']"));
    link.click();
    browser.waitFor("return Number(document.getElementById('physmap').getAttribute('data-pages')) <= 256", Duration.ofSeconds(5));
    assertFalse(all("#physmap line.page-line").isEmpty(), "no page boundaries at page zoom");
    Set<String> starts = attrs("#physmap rect.item", "data-start");
    assertTrue(starts.contains(first.get("start").asText()), "range " + first + " not drawn at page zoom: " + starts);
    String kinds = String.join(" ", attrs("#physmap rect.item", "data-kind"));
    assertTrue(kinds.contains("page-table"), kinds);
  }

  @Test
  void ptdumpPageFlagsWritableExecutableRanges() throws Exception {
    Path out = dir.resolve("x86-images");
    run("transition", "--arch", "x86_64", "--design", "mainline", "--out", out.toString(), "--force");
    Path page = dir.resolve("ptdump.html");
    JsonNode doc = json("ptdump", out.resolve("pre.core").toString(), "--json");
    run("ptdump", out.resolve("pre.core").toString(), "--html", page.toString());
    load(page);
    int ranges = doc.get("ranges").size();
    long wx = 0;
    for (JsonNode r : doc.get("ranges")) {
      wx += r.get("rw").asBoolean() && !r.get("nx").asBoolean() ? 1 : 0;
    }
    assertEquals(ranges, all(".blocks rect.b").size());
    assertEquals(wx, all(".blocks rect.b.wx").size());
    assertEquals(String.valueOf(wx), browser.driver().findElement(By.id("wx-count")).getAttribute("data-wx"));
    assertEquals(wx, all("#wx tr.wx-row").size());
    assertFalse(all("#vamap rect.item").isEmpty(), "nothing drawn on the VA map");
    browser.screenshot("ptdump");
  }

  @Test
  void demoIndexLinksOnePagePerArchAndDesign() throws Exception {
    Path out = dir.resolve("demo");
    run("demo", "--ram", "1G", "--crashkernel", "64M", "--html", out.toString());
    load(out.resolve("index.html"));
    List<WebElement> rows = all("#runs tr[data-arch]");
    assertEquals(12, rows.size());
    Set<String> pairs = new TreeSet<>();
    rows.forEach(r -> pairs.add(r.getAttribute("data-arch") + "-" + r.getAttribute("data-design")));
    for (String arch : List.of("i386", "pae", "x86_64")) {
      for (String d : List.of("legacy", "page-table-a", "single-table", "mainline")) {
        assertTrue(pairs.contains(arch + "-" + d), pairs.toString());
        assertTrue(Files.exists(out.resolve(arch + "-" + d + ".html")));
      }
    }
    browser.screenshot("demo-index");
    browser.driver().findElement(By.cssSelector("#runs tr[data-arch='x86_64'][data-design='legacy'] a")).click();
    browser.waitFor("return document.body && document.body.getAttribute('data-ready') === '1' && location.href.endsWith('x86_64-legacy.html')", Duration.ofSeconds(20));
    assertEquals(List.of(), browser.severe());
    assertFalse(all(".tableset g.node").isEmpty());
    assertEquals("NOT PRESERVED", browser.driver().findElement(By.cssSelector(".root")).getAttribute("data-verdict"));
  }

  @Test
  void hostileFileNamesStayText() throws Exception {
    Path out = dir.resolve("x86-hostile");
    run("transition", "--arch", "i386", "--design", "mainline", "--out", out.toString(), "--force");
    String name = "a<img src=x onerror=alert(1)>\"'&amp;<script>alert(2)<!--.core"; // no '/': a path separator
    Path hostile = out.resolve(name);
    Files.copy(out.resolve("pre.core"), hostile);
    Path page = dir.resolve("hostile.html");
    run("ptdump", hostile.toString(), "--html", page.toString());
    load(page);
    assertThrows(NoAlertPresentException.class);
    assertEquals(0, all("img").size(), "an <img> from the file name became markup");
    assertEquals(1, all("script:not([type])").size(), "a <script> from the file name became markup");
    String sub = browser.driver().findElement(By.cssSelector("p.sub")).getText();
    assertTrue(sub.startsWith(hostile.toString()), sub);
  }

  private static void assertThrows(Class<? extends Exception> type) {
    try {
      browser.driver().switchTo().alert();
    } catch (Exception e) {
      assertTrue(type.isInstance(e), e.toString());
      return;
    }
    throw new AssertionError("an alert is open: markup from the file name ran");
  }
}
