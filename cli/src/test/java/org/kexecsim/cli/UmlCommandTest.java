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
}
