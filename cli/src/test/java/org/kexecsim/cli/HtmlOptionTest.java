package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --html} without a browser: the page needs nothing outside itself, and a bad path is one line, exit 4. */
class HtmlOptionTest {
  @TempDir Path dir;

  @Test
  void pageLoadsNothingFromOutside() throws Exception {
    Path page = dir.resolve("t.html");
    CliRun r = CliRun.of("transition", "--arch", "i386", "--design", "single-table", "--html", page.toString());
    assertEquals(0, r.exitCode(), r.err());
    String html = Files.readString(page);
    assertFalse(html.contains("<link"), "a stylesheet link");
    assertFalse(Pattern.compile("\\ssrc\\s*=").matcher(html).find(), "a src attribute");
    assertFalse(html.contains("url("), "a CSS url()");
    Matcher m = Pattern.compile("https?://[^\"' )]*").matcher(html);
    while (m.find()) {
      assertEquals("http://www.w3.org/2000/svg", m.group(), "only the SVG namespace name may look like a URL");
    }
    assertTrue(html.contains("<svg"), "no picture");
    // stdout is what it was without --html
    CliRun plain = CliRun.of("transition", "--arch", "i386", "--design", "single-table");
    assertEquals(plain.out(), r.out());
  }

  @Test
  void missingDirectoryIsOneLineExit4() throws Exception {
    CliRun r = CliRun.of("transition", "--arch", "i386", "--design", "single-table", "--html", dir.resolve("no/such/t.html").toString());
    assertEquals(4, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("no such directory"), r.err());
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count(), "left something behind");
    }
  }

  @Test
  void aBatchWithHtmlIsBadUsage() throws Exception {
    Path out = dir.resolve("img");
    assertEquals(0, CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--out", out.toString()).exitCode());
    String pre = out.resolve("pre.core").toString();
    String post = out.resolve("post.core").toString();
    CliRun p = CliRun.of("ptdump", pre, post, "--html", dir.resolve("p.html").toString());
    assertEquals(2, p.exitCode(), p.err());
    assertTrue(p.err().contains("--html draws one IMAGE"), p.err());
    CliRun v = CliRun.of("verify-pgd", pre, post, pre, "--html", dir.resolve("v.html").toString());
    assertEquals(2, v.exitCode(), v.err());
    assertTrue(v.err().contains("--html draws one BEFORE [AFTER]"), v.err());
    assertFalse(Files.exists(dir.resolve("p.html")) || Files.exists(dir.resolve("v.html")));
  }
}
