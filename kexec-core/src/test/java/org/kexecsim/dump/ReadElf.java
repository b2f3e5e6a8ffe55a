package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs binutils' readelf on a file the writer produced; skipped with a message when readelf is absent. */
public final class ReadElf {
  private ReadElf() {}

  public static boolean available() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "readelf"))) {
        return true;
      }
    }
    return false;
  }

  /** Asserts that {@code readelf -h -l -n file} succeeds and returns its output. */
  public static String check(Path file) throws IOException, InterruptedException {
    assumeTrue(available(), "readelf is not on PATH: skipping the binutils cross-check");
    Process p = new ProcessBuilder("readelf", "-W", "-h", "-l", "-n", file.toString()).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "readelf did not finish");
    String text = new String(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "readelf failed on " + file + ":\n" + text);
    assertEquals(false, text.contains("Error:") || text.contains("Warning:"), "readelf complained:\n" + text);
    return text;
  }
}
