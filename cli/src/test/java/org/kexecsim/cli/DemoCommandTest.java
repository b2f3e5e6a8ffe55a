package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
  @Test
  void everyDesignBehavesAsItsHistorySaysOnEveryArch() throws Exception {
    CliRun r = CliRun.of("demo", "--ram", "1G", "--crashkernel", "64M", "--json");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode runs = new ObjectMapper().readTree(r.out()).get("runs");
    assertEquals(12, runs.size());
    for (JsonNode run : runs) {
      boolean legacy = run.get("design").asText().equals("legacy");
      String what = run.get("arch").asText() + "/" + run.get("design").asText();
      assertEquals("entered", run.get("outcome").asText(), what);
      assertEquals(!legacy, run.get("verifyPgdPreserved").asBoolean(), what + ": verify-pgd on the written images");
      assertEquals(!legacy, run.get("oldPgdPreserved").asBoolean(), what);
    }
  }

  /**
   * Every size the designs support runs: up to x86_64's 64 TiB direct map (RamLimit), PAE machines
   * kept where their kernel boots. Before, 64G stopped at PAE (its mem_map does not fit lowmem) and
   * 16T at the first x86_64 core (ext4 refuses a file past 16 TiB: "File too large").
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"64G", "16T"})
  void runsAtEverySizeTheDesignsSupport(String ram) throws Exception {
    assertAllAsExpected(CliRun.of("demo", "--ram", ram, "--json"));
  }

  /**
   * At x86_64's limit, legacy's identity map (2 MiB pages: 64 Ki pmd pages, 256 MiB) needs a
   * crash region to match; with 128M the load is refused naming the machine, exit 3.
   */
  @Test
  void atTheDirectMapLimitLegacyNeedsALargerCrashRegionAndSaysSo() throws Exception {
    assertAllAsExpected(CliRun.of("demo", "--ram", "64T", "--crashkernel", "0-33G:128M,33G-:512M", "--json"));
    CliRun small = CliRun.of("demo", "--ram", "64T", "--crashkernel", "128M", "--json");
    assertEquals(3, small.exitCode(), small.err());
    assertEquals(1, small.err().lines().count(), small.err());
    assertTrue(small.err().contains("ENOMEM: x86_64 legacy, RAM 64T, crashkernel=128M: no crash control block"), small.err());
  }

  /**
   * PAE at 32 GiB boots beside a low crash region, but one placed in the middle of lowmem leaves
   * FLATMEM's 320 MiB mem_map no room in one piece: refused in one line naming the machine, exit 3.
   */
  @Test
  void aCrashRegionThatSplitsPaeLowmemIsRefusedNamingTheMachine() throws Exception {
    CliRun r = CliRun.of("demo", "--ram", "32G", "--crashkernel", "288M@320M", "--json");
    assertEquals(3, r.exitCode(), r.err());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().matches("(?s)kexec-sim: pae \\S+, RAM 32G, crashkernel=288M@320M: a 686-pae kernel cannot boot on .*"
        + "FLATMEM's mem_map for 8388608 pages is 320 MiB.*\n"), r.err());
  }

  private static void assertAllAsExpected(CliRun r) throws Exception {
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals(12, doc.get("runs").size());
    assertTrue(doc.get("allAsExpected").asBoolean(), r.out());
  }
}
