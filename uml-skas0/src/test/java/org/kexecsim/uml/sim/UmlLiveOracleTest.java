package org.kexecsim.uml.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Ticks;

/**
 * The live oracle: Debian's user-mode-linux booted with a hostfs root runs each workload and
 * strace counts the UML kernel process's ptrace and wait4 calls and resumes
 * (scripts/uml-live-oracle.sh). Like with like, each within ±10%: the counts without the clock
 * tick's stops against the model without ticks, and the counts with them against the model
 * whose clock runs as the host's did in the same run: its SIGALRM rate and their spread, its wall
 * time per traced call and the part of a wait4 spent blocked in it (the host's load sets how many ticks a unit sees under strace; given that timing,
 * the model must turn the ticks into the same stops, ptrace calls and wait4s). Skipped where linux.uml, strace or gcc is missing or the kernel forbids ptrace
 * (CI installs the packages, .ci/run).
 */
class UmlLiveOracleTest {
  private static final Pattern ROW = Pattern.compile("^(\\S+)\\s+n=(\\d+)\\s+(.*)$");

  /** One line of the oracle: the workload and its key-value pairs. */
  record Row(String workload, int n, Map<String, Double> values) {
    double get(String key) {
      Double v = values.get(key);
      if (v == null) {
        throw new AssertionError(workload + ": the oracle printed no " + key + ": " + values);
      }
      return v;
    }

    static Row parse(String line) {
      Matcher m = ROW.matcher(line.trim());
      if (!m.matches()) {
        return null;
      }
      String[] f = m.group(3).trim().split("\\s+");
      Map<String, Double> v = new LinkedHashMap<>();
      for (int i = 0; i + 1 < f.length; i += 2) {
        v.put(f[i], Double.parseDouble(f[i + 1]));
      }
      return new Row(m.group(1), Integer.parseInt(m.group(2)), v);
    }
  }

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
    assertFalse(out.contains("FAILED"), "a workload failed in UML:\n" + out);
    assertEquals(0, p.exitValue(), out);
    assertEquals(9, compare(out), "the live oracle printed:\n" + out);
  }

  /**
   * Compares every row the oracle printed with the model, like with like, each figure within
   * ±10%; returns the number of rows.
   */
  static int compare(String out) {
    int rows = 0;
    for (String line : out.split("\n")) {
      Row r = Row.parse(line);
      if (r == null) {
        continue;
      }
      rows++;
      String w = r.workload();
      int n = w.startsWith("fork") ? 10 : 100;
      PerOperation own = CostFidelityTest.model(w, n);
      CostFidelityTest.within(w + " ptrace calls vs live", own.ptraceCalls(), r.get("ptrace"));
      CostFidelityTest.within(w + " wait4 calls vs live", own.wait4Calls(), r.get("wait4"));
      CostFidelityTest.within(w + " round trips vs live", own.roundTrips(), r.get("round-trips"));
      // the host's timing as measured in the run: its SIGALRM rate (HZ=100 on a quiet host, less when
      // the load delays UML's one-shot reprogramming) and the wall time per traced call
      // (a delay uniform over [0, J) gives intervals of sd J/sqrt(6))
      double hz = r.get("hz");
      long jitter = Math.min(Math.round(r.get("tick-sd-ms") * Math.sqrt(6) * 1e6), Math.round(0.9e9 / hz));
      Ticks.Clock clock = Ticks.Clock.hz(hz, Math.round(r.get("us-per-ptrace") * 1000),
          Math.round(r.get("us-per-wait4") * 1000), Math.round(r.get("us-blocked-per-wait4") * 1000), jitter);
      PerOperation ticked = UmlSimulation.run(new UmlSimulation.Settings(CostFidelityTest.TODAY, Workload.parse(w), n,
          HostArch.X86_64, 1, clock)).perOperation();
      System.out.printf("%-20s live+ticks %7.2f %6.2f %6.2f (ticks %.4f)  model+ticks %7.2f %6.2f %6.2f (ticks %.4f)%n", w,
          r.get("ptrace") + r.get("timer-ptrace"), r.get("wait4") + r.get("timer-wait4"),
          r.get("round-trips") + r.get("timer-resumes"), r.get("ticks"),
          ticked.ptraceCalls(), ticked.wait4Calls(), ticked.roundTrips(), ticked.ticks().ticks());
      CostFidelityTest.within(w + " ptrace calls with ticks vs live", ticked.ptraceCalls(), r.get("ptrace") + r.get("timer-ptrace"));
      CostFidelityTest.within(w + " wait4 calls with ticks vs live", ticked.wait4Calls(), r.get("wait4") + r.get("timer-wait4"));
      CostFidelityTest.within(w + " round trips with ticks vs live", ticked.roundTrips(),
          r.get("round-trips") + r.get("timer-resumes"));
    }
    return rows;
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
