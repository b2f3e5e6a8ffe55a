package org.kexecsim.cli.html;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kexecsim.output.OutputSet;

/**
 * Where every {@code --html} page is written: built under a temporary name beside the target and
 * renamed over it, so a killed run never leaves half a page ({@link OutputSet}, as the images).
 */
public final class HtmlFile {
  private HtmlFile() {}

  public static void write(Path out, String page) throws IOException {
    Path dir = out.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) { // else the error would name the temporary file
      throw new java.nio.file.NoSuchFileException(out.toString(), null, "no such directory " + dir);
    }
    OutputSet.writeFile(out, page.getBytes(StandardCharsets.UTF_8), true);
  }
}
