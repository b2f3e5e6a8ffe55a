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
}
