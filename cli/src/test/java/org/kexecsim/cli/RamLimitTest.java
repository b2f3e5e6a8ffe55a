package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RAM beyond what a machine of the arch can have is bad input (exit 3, DESIGN.md: an impossible RAM map) naming the limit, not a run. */
class RamLimitTest {
  @Test
  void x86_64BeyondItsDirectMapIsRefusedAndAtItsEdgeRuns() {
    CliRun over = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "65T");
    assertEquals(3, over.exitCode(), over.err());
    assertEquals(1, over.err().lines().count(), over.err());
    assertTrue(over.err().contains("beyond the 64T an x86_64 machine can have"), over.err());
    CliRun edge = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "64T");
    assertEquals(0, edge.exitCode(), edge.err());
  }

  @Test
  void thirtyTwoBitAndPaeLimitsAndTheDemoAndPrepareCheckToo() {
    CliRun i386 = CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--ram", "65G");
    assertEquals(3, i386.exitCode(), i386.err());
    assertTrue(i386.err().contains("beyond the 64G an i386 machine can have"), i386.err());
    CliRun pae = CliRun.of("prepare", "--arch", "pae", "--design", "mainline", "--ram", "0+65G");
    assertEquals(3, pae.exitCode(), pae.err());
    assertTrue(pae.err().contains("beyond the 64G a pae machine can have"), pae.err());
    CliRun demo = CliRun.of("demo", "--ram", "65T");
    assertEquals(3, demo.exitCode(), demo.err());
    assertTrue(demo.out().isEmpty(), "refused before any row: " + demo.out());
  }
}
