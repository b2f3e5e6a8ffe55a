package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransitionCommandTest {
  @TempDir Path dir;

  @Test
  void aPageTableAKdumpOnPaeReachesTheEntryAndKeepsTheOldPgd() {
    CliRun r = CliRun.of("transition", "--arch", "pae", "--design", "page-table-a", "--ram", "1G", "--crashkernel", "64M");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("old pgd 0x"), r.out());
    assertTrue(r.out().contains("preserved"), r.out());
    assertTrue(r.out().trim().endsWith("instructions)"), r.out());
    assertTrue(r.out().contains("verdict: OK"), r.out());
  }

  @Test
  void legacyIsANegativeVerdictInJsonToo() throws Exception {
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "legacy", "--ram", "2G", "--crashkernel", "64M", "--json");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/transition/v1", doc.get("format").asText());
    assertEquals("entered", doc.get("outcome").asText());
    assertEquals(false, doc.get("oldPgd").get("preserved").asBoolean());
    assertEquals("failed", doc.get("verdict").asText());
  }

  @Test
  void imagesAreWrittenOnceAndNotOverwrittenWithoutForce() throws Exception {
    Path out = dir.resolve("run");
    String[] args = {"transition", "--arch", "i386", "--design", "mainline", "--ram", "512M", "--crashkernel", "64M", "--out", out.toString()};
    assertEquals(0, CliRun.of(args).exitCode());
    assertTrue(Files.size(out.resolve("pre.core")) > 0 && Files.exists(out.resolve("vmcore")));
    CliRun again = CliRun.of(args);
    assertEquals(4, again.exitCode(), again.err());
    assertTrue(again.err().contains("pre.core"), again.err());
  }

  @Test
  void traceShowsEveryInstructionUpToTheEntry() {
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "64M", "--trace");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("lidt"), r.out());
    assertTrue(r.out().contains("%cr3"), r.out());
    assertTrue(r.out().contains("hlt"), r.out());
  }

  @Test
  void badInputAndUsageHaveTheirExitCodes() {
    assertEquals(2, CliRun.of("transition", "--arch", "arm64", "--design", "mainline").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "i386", "--design", "two-tables").exitCode());
    CliRun outside = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "256M@8G");
    assertEquals(3, outside.exitCode(), outside.out() + outside.err());
    assertEquals(1, outside.err().lines().count(), outside.err());
  }
}
