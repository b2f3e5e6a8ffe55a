package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PrepareCommandTest {

  @Test
  void mainlineKeepsTheOldPgdAndExits0() throws Exception {
    CliRun r = CliRun.of("prepare", "--arch", "x86_64", "--design", "mainline", "--ram", "8G", "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/prepare/v1", doc.get("format").asText());
    assertEquals(false, doc.get("oldCr3Written").asBoolean());
    assertTrue(doc.get("controlPage").asText().startsWith("0x"));
    for (JsonNode m : doc.get("controlPageMappings")) {
      assertTrue(m.get("executable").asBoolean(), m.toString());
    }
    assertTrue(doc.get("tablePages").size() > 0);
  }

  @Test
  void legacyWritesTheOldPgdAndExits1() {
    CliRun r = CliRun.of("prepare", "--arch", "pae", "--design", "legacy", "--ram", "2G");
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().contains("WRITTEN"), r.out());
    assertTrue(r.out().contains("OVERWROTE_LIVE_TABLE"), r.out());
  }

  @Test
  void aRefusedLoadExits3WithTheErrorName() {
    // no crash region reserved, so the crash image's entry point lies outside crashk_res
    CliRun r = CliRun.of("prepare", "--arch", "i386", "--design", "page-table-a", "--crashkernel", "");
    assertEquals(3, r.exitCode(), r.out());
    assertTrue(r.err().startsWith("kexec-sim: EADDRNOTAVAIL: "), r.err());
  }

  @Test
  void aMalformedCrashkernelExits3WithEinval() {
    CliRun r = CliRun.of("prepare", "--arch", "x86_64", "--design", "mainline", "--crashkernel", "1G-4G-:64M");
    assertEquals(3, r.exitCode(), r.out());
    assertTrue(r.err().contains("EINVAL") && r.err().contains("':' expected"), r.err());
  }

  @Test
  void anUnknownDesignIsBadUsage() {
    // an option value outside its set is bad usage (exit 2), as `transition --design` has it
    CliRun r = CliRun.of("prepare", "--arch", "x86_64", "--design", "two-tables");
    assertEquals(2, r.exitCode());
    assertEquals("kexec-sim: unknown design 'two-tables': expected legacy, page-table-a, single-table or mainline"
        + " (see: kexec-sim prepare --help)\n", r.err());
  }
}
