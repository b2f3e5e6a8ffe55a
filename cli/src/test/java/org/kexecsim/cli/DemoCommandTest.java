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
}
