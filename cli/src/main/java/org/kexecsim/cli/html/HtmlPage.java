package org.kexecsim.cli.html;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One self-contained page: the stylesheet and script inlined from this package's resources, no
 * URL outside the file, so it opens from disk anywhere.
 */
final class HtmlPage {
  private static final String CSS = resource("page.css");
  private static final String JS = resource("page.js");

  private HtmlPage() {}

  /** Starts a page: head, title, heading and subtitle; the caller appends the body and calls {@link #end}. */
  static Html begin(String title, String subtitle) {
    Html h = new Html();
    h.raw("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .raw("<meta name=\"generator\" content=\"kexec-sim\"><title>").text(title).raw("</title>\n<style>")
        .raw(CSS).raw("</style></head>\n<body>\n");
    h.el("h1", null, title);
    h.el("p", "sub", subtitle);
    return h;
  }

  static String end(Html h) {
    h.raw("<div id=\"tip\"></div>\n<script>").raw(JS).raw("</script>\n</body></html>\n");
    return h.toString();
  }

  private static String resource(String name) {
    try (InputStream in = HtmlPage.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      if (s.contains("</script") || s.contains("</style")) {
        throw new IllegalStateException(name + " would end its element early");
      }
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
