package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuRunCommandTest {
  @TempDir Path dir;

  /** 64-bit code at 4 MiB; {@code code} decides how the run ends. */
  private Path machine(String code) throws Exception {
    String json = """
        {
          "ram": "0-64M",
          "memory": [
            { "address": "0x1000", "qwords": ["0x2063"] },
            { "address": "0x2000", "qwords": ["0x3063"] },
            { "address": "0x3000", "qwords": ["0x0000e3", "0x2000e3", "0x4000e3"] },
            { "address": "0xa000", "qwords": ["0xb063"] },
            { "address": "0xb000", "qwords": ["0xc063"] },
            { "address": "0xc000", "qwords": ["0x0000e3"] },
            { "address": "0x5000", "qwords": ["0", "0x00af9a000000ffff", "0x00cf92000000ffff"] },
            { "address": "0x400000", "asm": "%s", "bits": 64 }
          ],
          "control": { "cr0": "0x80000031", "cr3": "0x1000", "cr4": "0x20", "efer": "0xd00" },
          "registers": { "rip": "0x400000", "rsp": "0x90000" },
          "gdtr": { "base": "0x5000", "limit": "0x17" },
          "segments": { "cs": { "selector": "0x08" }, "ss": { "selector": "0x10" } }
        }
        """.formatted(code);
    Path p = dir.resolve("m.json");
    Files.writeString(p, json);
    return p;
  }

  @Test
  void haltedRunExitsZeroAndShowsRegisters() throws Exception {
    CliRun r = CliRun.of("cpu", "run", "--machine", machine("mov $42,%eax\\nhlt").toString(), "--trace");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("halted after 2 steps"), r.out());
    assertTrue(r.out().contains("rax  000000000000002a"), r.out());
    assertTrue(r.out().contains("mov    $0x2a,%eax"), "trace shows the instruction: " + r.out());
  }

  @Test
  void tripleFaultExitsOneWithTheChainInJson() throws Exception {
    CliRun r = CliRun.of("cpu", "run", "--machine", machine("mov $0xa000,%eax\\nmov %rax,%cr3\\nhlt").toString(), "--json");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("triple-fault", doc.get("state").asText());
    assertEquals("#PF", doc.get("exceptions").get(0).get("vector").asText());
    assertEquals("0x400008", doc.get("exceptions").get(0).get("cr2").asText());
    assertEquals("#GP", doc.get("exceptions").get(3).get("vector").asText());
  }

  @Test
  void badDescriptionExitsThree() throws Exception {
    Path p = dir.resolve("bad.json");
    Files.writeString(p, "{ \"ram\": \"0-64M\", \"registres\": {} }");
    CliRun r = CliRun.of("cpu", "run", "--machine", p.toString());
    assertEquals(3, r.exitCode());
    assertTrue(r.err().contains("registres: unknown field"), r.err());
  }
}
