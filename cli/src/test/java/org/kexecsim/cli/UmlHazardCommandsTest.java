package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class UmlHazardCommandsTest {
  @Test
  void breakoutWithTheBatchInTheDataPageIsANegativeVerdictWithTheScheduleStepByStep() {
    CliRun r = CliRun.of("uml", "breakout", "--batch-in", "data-page");
    assertEquals(ExitCode.NEGATIVE, r.exitCode(), r.err());
    assertTrue(r.out().contains("first bad schedule:"), r.out());
    assertTrue(r.out().contains("execve(\"/bin/bash\")"), r.out());
  }

  @Test
  void breakoutWithTheBatchInTheCodePageBreaksNoSchedule() {
    CliRun r = CliRun.of("uml", "breakout", "--batch-in", "code-page");
    assertEquals(ExitCode.OK, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("schedules that broke: 0"), r.out());
  }

  @Test
  void fhRaceAndFaultinfoRaceFollowTheirFix() {
    assertEquals(ExitCode.NEGATIVE, CliRun.of("uml", "fh-race", "--pinning", "off").exitCode());
    assertEquals(ExitCode.OK, CliRun.of("uml", "fh-race", "--pinning", "on").exitCode());
    assertEquals(ExitCode.NEGATIVE, CliRun.of("uml", "faultinfo-race", "--lock", "off").exitCode());
    assertEquals(ExitCode.OK, CliRun.of("uml", "faultinfo-race", "--lock", "on").exitCode());
    assertEquals(ExitCode.NEGATIVE, CliRun.of("uml", "flush-race", "--lock", "off").exitCode());
    assertEquals(ExitCode.OK, CliRun.of("uml", "flush-race", "--lock", "on").exitCode());
  }

  @Test
  void jsonOfASampledRunIsTheSameForTheSameSeed() throws Exception {
    String[] args = {"uml", "faultinfo-race", "--lock", "off", "--schedules", "50", "--seed", "9", "--json"};
    CliRun a = CliRun.of(args);
    CliRun b = CliRun.of(args);
    assertEquals(ExitCode.NEGATIVE, a.exitCode(), a.err());
    assertEquals(a.out(), b.out());
    JsonNode doc = new ObjectMapper().readTree(a.out());
    assertEquals("kexec-sim/uml-hazard/v1", doc.get("format").asText());
    assertEquals(50, doc.get("explored").asInt());
    assertEquals("seeded", doc.get("sampling").get("kind").asText());
    assertTrue(doc.get("broke").asInt() > 0);
    assertTrue(doc.get("firstBad").get("verdict").asText().startsWith("broke:"));
    assertTrue(doc.get("firstBad").get("steps").size() > 0);
  }

  /** HazardExplorer.TooManySchedules is the user's to fix (tighter bounds, or sampling): exit 2, its one line. */
  @Test
  void anExhaustiveRunPastItsScheduleBudgetIsAUsageError() {
    CliRun r = CliRun.of("uml", "flush-race", "--lock", "off", "--max-schedules", "5");
    assertEquals(ExitCode.USAGE, r.exitCode(), r.out() + r.err());
    assertEquals("", r.out());
    assertEquals("kexec-sim: flush-race has more than 5 schedules within 3 preemptions and 64 steps per CPU: "
        + "tighten the bounds or sample (see: kexec-sim uml flush-race --help)\n", r.err());
    assertEquals(ExitCode.NEGATIVE, CliRun.of("uml", "flush-race", "--lock", "off", "--max-schedules", "5", "--schedules", "5").exitCode());
  }

  @Test
  void badSettingsAreUsageErrors() {
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "breakout", "--batch-in", "stack").exitCode());
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "fh-race", "--pinning", "maybe").exitCode());
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "faultinfo-race", "--lock", "on", "--cpus", "9").exitCode());
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "faultinfo-race", "--lock", "on", "--schedules", "0").exitCode());
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "breakout").exitCode());
  }
}
