package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** `kexec-sim ... | head`: the reader goes away, and the run ends quietly as a C tool's SIGPIPE would. */
class PipeReaderGoneTest {

  @Test
  void aPipeWhoseReaderLeftEndsWith141AndNothingOnStderr() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(),
        "transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--trace")).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      r.readLine(); // as head -1: one line, then the pipe's read end is closed
    }
    boolean ended = p.waitFor(120, TimeUnit.SECONDS);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!ended) {
      p.destroyForcibly();
    }
    assertEquals(true, ended, "still running after its reader left");
    assertEquals(ExitCode.READER_GONE, p.exitValue(), err);
    assertEquals("", err);
  }
}
