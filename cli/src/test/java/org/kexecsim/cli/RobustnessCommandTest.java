package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** {@code robustness} and the crash-realism options of {@code transition}. */
class RobustnessCommandTest {

  @Test
  void theMatrixInJsonHasEveryCellAndTheShippedDesignSurvivesWhatItShould() throws Exception {
    CliRun r = CliRun.of("robustness", "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/robustness/v1", doc.get("format").asText());
    assertEquals(13, doc.get("rows").size());
    int cases = doc.get("cases").size();
    for (JsonNode row : doc.get("rows")) {
      assertEquals(cases, row.get("cells").size());
      assertTrue(row.get("zeroLimitIdtWindow").has("firstInstruction"), row.toString());
      if (row.get("shippedToday").asBoolean()) {
        assertEquals(true, row.get("cells").get("clean").get("survived").asBoolean());
        assertEquals("purgatory_refused", row.get("cells").get("crash-image").get("outcome").asText());
        assertEquals("triple_fault", row.get("cells").get("nmi-in-window").get("outcome").asText());
      }
    }
    assertEquals(0, doc.get("unexpected").asInt());
    assertEquals("ok", doc.get("verdict").asText());
  }

  @Test
  void anUnknownCpuModelIsAUsageError() {
    CliRun r = CliRun.of("robustness", "--cpu-model", "bochs");
    assertEquals(2, r.exitCode(), r.out());
    assertTrue(r.err().contains("hardware or qemu"), r.err());
  }

  @Test
  void transitionWithAPoisonedGdtFailsMainlineAtLoadSegments() throws Exception {
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "128M",
        "--damage", "gdt-poison", "--json");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("triple_fault", doc.get("outcome").asText());
    assertEquals("gdt-poison", doc.get("damage").get(0).asText());
    assertTrue(doc.get("exceptions").get(0).asText().startsWith("#GP(0x18)"), doc.get("exceptions").toString());
  }

  @Test
  void transitionWithATamperedImageIsRefusedByPurgatory() {
    CliRun r = CliRun.of("transition", "--arch", "pae", "--design", "page-table-a", "--ram", "1G", "--crashkernel", "128M",
        "--damage", "crash-image");
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().contains("purgatory refused: sha256 "), r.out());
  }

  @Test
  void transitionWithAnNmiBeforeTheFirstInstructionIsHandledByTheCrashedKernel() {
    CliRun r = CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--ram", "1G", "--crashkernel", "128M",
        "--nmi-before", "1");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("NMI before instruction 1"), r.out());
  }

  @Test
  void badDamageAndNmiArgumentsAreUsageErrors() {
    assertEquals(2, CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--damage", "cr3").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--nmi-before", "0").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "i386", "--design", "mainline", "--cpu-model", "kvm").exitCode());
  }
}
