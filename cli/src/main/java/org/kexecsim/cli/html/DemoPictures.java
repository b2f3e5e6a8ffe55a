package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.relocate.TransitionResult;

/** {@code demo --html DIR}: one transition page per arch × design and an index.html linking them. */
public final class DemoPictures {
  private record Row(String arch, String design, String file, String outcome, boolean pgdPreserved, boolean imagePreserved, boolean asExpected) {}

  private final Path dir;
  private final List<Row> rows = new ArrayList<>();

  public DemoPictures(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
  }

  /** Writes one run's page now, so a long demo leaves finished pages behind as it goes. */
  public void add(String arch, String design, TransitionResult r, TransitionTrace trace, PgdVerdict imageVerdict, boolean asExpected)
      throws IOException {
    String file = arch + "-" + design + ".html";
    HtmlFile.write(dir.resolve(file), TransitionPicture.page(r, trace, Optional.of(imageVerdict)));
    rows.add(new Row(arch, design, file, r.outcome().text(), r.oldPgd().preserved(), imageVerdict.preserved(), asExpected));
  }

  public Path finish() throws IOException {
    Html h = HtmlPage.begin("kexec-sim demo", "the kdump transition for every arch and design; each row links its page");
    h.raw("<table class=\"facts\" id=\"runs\"><tr><th>arch</th><th>design</th><th>outcome</th><th>old pgd</th><th>verify-pgd on the images</th><th></th></tr>\n");
    for (Row r : rows) {
      h.raw("<tr").attr("data-arch", r.arch()).attr("data-design", r.design()).raw("><td>").text(r.arch()).raw("</td><td><a")
          .attr("href", r.file()).raw(">").text(r.design()).raw("</a></td><td>").text(r.outcome()).raw("</td><td")
          .attr("class", r.pgdPreserved() ? "ok" : "bad").raw(">").text(r.pgdPreserved() ? "preserved" : "WRITTEN").raw("</td><td")
          .attr("class", r.imagePreserved() ? "ok" : "bad").raw(">").text(r.imagePreserved() ? "PRESERVED" : "NOT PRESERVED")
          .raw("</td><td>").text(r.asExpected() ? "as its history says" : "UNEXPECTED").raw("</td></tr>\n");
    }
    h.raw("</table>\n");
    Path index = dir.resolve("index.html");
    HtmlFile.write(index, HtmlPage.end(h));
    return index;
  }
}
