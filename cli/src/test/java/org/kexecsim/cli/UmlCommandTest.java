package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class UmlCommandTest {
  @Test
  void printsTheLedgerPerOperation() {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas0", "--workload", "fault-storm", "--n", "20");
    assertEquals(ExitCode.OK, r.exitCode(), r.err());
    assertTrue(r.out().contains("touch-read") && r.out().contains("total"), r.out());
    assertTrue(r.out().contains("round trips per guest page fault: 3.00"), r.out());
  }

  @Test
  void jsonCarriesSumsAndMeans() throws Exception {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas3", "--workload", "fault-storm", "--n", "10", "--json");
    assertEquals(ExitCode.OK, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/uml-run/v1", doc.get("format").asText());
    assertEquals(1.0, doc.get("roundTripsPerFault").asDouble());
    assertEquals(10, doc.get("totals").get("sum").get("guest-page-fault").asLong());
  }

  @Test
  void badModeAndOutOfRangeNAreUsageErrors() {
    assertEquals(ExitCode.USAGE, CliRun.of("uml", "run", "--mode", "skas9", "--workload", "fault-storm").exitCode());
    CliRun r = CliRun.of("uml", "run", "--mode", "tt", "--workload", "fork-exec", "--n", "0");
    assertEquals(ExitCode.USAGE, r.exitCode());
    assertTrue(r.err().contains("out of range"), r.err());
  }

  @Test
  void protocolTodayReportsPerOperationPtraceWait4AndRoundTrips() throws Exception {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "touch", "--n", "20", "--json");
    assertEquals(ExitCode.OK, r.exitCode(), r.err());
    JsonNode per = new ObjectMapper().readTree(r.out()).get("perOperation");
    // the measured row (uml-anchors.md §5): 11.2 ptrace, 3.1 wait4, 3 round trips per first write
    assertEquals(11.0, per.get("ptraceCalls").asDouble());
    assertEquals(3.0, per.get("wait4Calls").asDouble());
    assertEquals(3.0, per.get("roundTrips").asDouble());
    CliRun old = CliRun.of("uml", "run", "--mode", "skas0", "--workload", "touch", "--n", "20", "--json");
    assertEquals(6.0, new ObjectMapper().readTree(old.out()).get("perOperation").get("ptraceCalls").asDouble(),
        "the 2005 protocol: SETREGS, SYSEMU, GETREGS, CONT(SIGSEGV), SETREGS+CONT of the batch");
  }

  @Test
  void aProtocolOtherThanSkas0sOrUnknownIsAUsageError() {
    CliRun r = CliRun.of("uml", "run", "--mode", "tt", "--protocol", "today", "--workload", "getpid");
    assertEquals(ExitCode.USAGE, r.exitCode());
    assertTrue(r.err().contains("--mode skas0 only"), r.err());
    CliRun u = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "1999", "--workload", "getpid");
    assertEquals(ExitCode.USAGE, u.exitCode());
    assertTrue(u.err().contains("unknown protocol '1999'"), u.err());
  }

  @Test
  void ticksMeasuredReportsTheClockTicksShareApartAndNoneHasNone() throws Exception {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "read-then-write",
        "--n", "200", "--ticks", "measured", "--json");
    assertEquals(ExitCode.OK, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("measured", doc.get("ticks").asText());
    JsonNode per = doc.get("perOperation");
    JsonNode t = per.get("clockTicks");
    assertTrue(t.get("ticks").asDouble() > 0, t.toString());
    // the mechanism's 24 ptrace calls, 7 wait4 and 7 round trips, plus the ticks' share
    assertEquals(24.0, per.get("ptraceCalls").asDouble() - t.get("ptraceCalls").asDouble(), 1e-9);
    assertEquals(7.0, per.get("wait4Calls").asDouble() - t.get("wait4Calls").asDouble(), 1e-9);
    assertEquals(7.0, per.get("roundTrips").asDouble() - t.get("roundTrips").asDouble(), 1e-9);
    assertTrue(doc.get("tickShare").get("sum").get("ptrace").asLong() > 0, doc.get("tickShare").toString());
    CliRun none = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "read-then-write",
        "--n", "200", "--json");
    JsonNode n = new ObjectMapper().readTree(none.out());
    assertEquals("none", n.get("ticks").asText());
    assertEquals(0.0, n.get("perOperation").get("clockTicks").get("ticks").asDouble());
    assertEquals(24.0, n.get("perOperation").get("ptraceCalls").asDouble());
  }

  @Test
  void theTableShowsWhatATickCostsInARowOfItsOwn() {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "getpid", "--n", "2000",
        "--ticks", "measured");
    assertEquals(ExitCode.OK, r.exitCode(), r.err());
    String row = r.out().lines().filter(l -> l.startsWith("clock-ticks ")).findFirst().orElseThrow(() ->
        new AssertionError(r.out()));
    // getpid's ticks all stop the child in userspace(): 5 ptrace calls and one wait4 each, and a
    // wait4 interrupted now and then
    String[] f = row.trim().split("\\s+");
    assertEquals("5.00", f[3], row);
    assertTrue(Double.parseDouble(f[4]) >= 1.0 && Double.parseDouble(f[4]) < 2.0, row);
    assertTrue(r.out().contains("of which clock ticks (measured)"), r.out());
    CliRun none = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "getpid", "--n", "20");
    assertTrue(none.out().lines().noneMatch(l -> l.startsWith("clock-ticks")), none.out());
  }

  @Test
  void ticksOutsideTodaysProtocolOrUnknownAreUsageErrors() {
    CliRun r = CliRun.of("uml", "run", "--mode", "skas0", "--workload", "getpid", "--ticks", "measured");
    assertEquals(ExitCode.USAGE, r.exitCode());
    assertTrue(r.err().contains("--protocol today only"), r.err());
    CliRun u = CliRun.of("uml", "run", "--mode", "skas0", "--protocol", "today", "--workload", "getpid", "--ticks", "often");
    assertEquals(ExitCode.USAGE, u.exitCode());
    assertTrue(u.err().contains("unknown ticks 'often'"), u.err());
  }
}
