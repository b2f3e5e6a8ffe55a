package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The live oracle: Debian's user-mode-linux booted with a hostfs root runs each workload and
 * strace counts the UML kernel process's ptrace and wait4 calls and resumes
 * (scripts/uml-live-oracle.sh); the model with --protocol today must be within ±10% of each.
 * Skipped where linux.uml, strace or gcc is missing or the kernel forbids ptrace (CI installs
 * the packages, .ci/run).
 */
class UmlLiveOracleTest {
  private static final Pattern ROW = Pattern.compile(
      "^(\\S+)\\s+n=(\\d+)\\s+ptrace\\s+([\\d.]+)\\s+wait4\\s+([\\d.]+)\\s+round-trips\\s+([\\d.]+)\\s+.*$");

  @Test
  void theModelMatchesDebiansUserModeLinuxUnderStrace() throws Exception {
    for (String tool : List.of("linux.uml", "strace", "gcc")) {
      assumeTrue(onPath(tool), tool + " is not installed");
    }
    Path scope = Path.of("/proc/sys/kernel/yama/ptrace_scope");
    assumeTrue(!Files.exists(scope) || !Files.readString(scope).trim().equals("3"), "the kernel forbids ptrace");
    Path script = Path.of("..", "scripts", "uml-live-oracle.sh").toAbsolutePath().normalize();
    List<String> cmd = new ArrayList<>(List.of("sh", script.toString(),
        "getpid", "2000", "touch", "1000", "read-then-write", "1000", "mmap-munmap", "1000", "mmap-touch-munmap", "1000",
        "mprotect", "1000", "fork-exit-wait", "100", "fork-exec-exit-wait", "20", "pipe-pingpong", "1000"));
    // output to a file, so that the deadline below holds even when the script never closes it
    Path log = Files.createTempFile("uml-live-oracle", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean ended = p.waitFor(15, TimeUnit.MINUTES);
    if (!ended) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    assertTrue(ended, "the live oracle ran past 15 minutes and was killed; it printed:\n" + out);
    assumeTrue(!out.contains("Operation not permitted"), "ptrace is not permitted here: " + out);
    int rows = 0;
    for (String line : out.split("\n")) {
      Matcher m = ROW.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      rows++;
      String workload = m.group(1);
      PerOperation model = CostFidelityTest.model(workload, workload.startsWith("fork") ? 10 : 100);
      CostFidelityTest.within(workload + " ptrace calls vs live", model.ptraceCalls(), Double.parseDouble(m.group(3)));
      CostFidelityTest.within(workload + " wait4 calls vs live", model.wait4Calls(), Double.parseDouble(m.group(4)));
      CostFidelityTest.within(workload + " round trips vs live", model.roundTrips(), Double.parseDouble(m.group(5)));
    }
    assertEquals(9, rows, "the live oracle printed:\n" + out);
  }

  private static boolean onPath(String tool) throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
