package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.SimulatedMachine.Mapping;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopReport;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;

/**
 * A PAE guest dumped by QEMU: TCG's walker sets A (bit 5) in every PDPTE it used
 * (target/i386/tcg/system/excp_helper.c, ptw_setl at restart_3_nolma), a bit the SDM reserves
 * there (§4.4.1, Table 4-8). The analyzer translates through them and reports each one; the same
 * PDPTEs loaded into CR3 by the CPU model are #GP(0).
 */
class QemuPaePdpteTest {
  @TempDir Path dir;

  /** The machine, built by the project's page-table builder, with A set in every present PDPTE as QEMU leaves it. */
  static List<Integer> setAccessedInPdptes(SimulatedMachine machine) {
    List<Integer> touched = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long at = machine.cr3() + 8L * i;
      long e = machine.memory().readU64(at);
      if ((e & PageTableEntry.P) != 0) {
        machine.memory().writeU64(at, e | PageTableEntry.A);
        touched.add(i);
      }
    }
    return touched;
  }

  @Test
  void pdptesWithTheAccessedBitTranslateAndEachIsAFindingInTextAndJson() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.PAE, 21);
    List<Integer> touched = setAccessedInPdptes(machine);
    assertTrue(touched.contains(3), "the kernel half lives under PDPTE 3");

    ControlWrite cpu = ControlRegisterRules.establish(
        machine.registers().getOrZero(org.kexecsim.dump.Register.CR0), machine.cr3(),
        machine.registers().getOrZero(org.kexecsim.dump.Register.CR4), 0, machine.memory(), RootTableFinder.DUMP_FEATURES);
    assertEquals(ExceptionVector.GP, assertInstanceOf(ControlWrite.Refused.class, cpu).vector(),
        "the CPU model still refuses to load these PDPTEs");

    try (Dump dump = machine.openQemu(dir, ElfClass.ELF32)) {
      PagingContext ctx = RootTableFinder.find(dump);
      assertEquals(touched.size(), ctx.rootFindings().size(), "one finding per present PDPTE");

      List<Long> vas = new ArrayList<>();
      for (Mapping m : machine.mappings()) {
        vas.add(m.va() + 0x123);
      }
      VtopReport report = Vtop.translate(dump.physicalMemory(), ctx, vas);
      for (int i = 0; i < vas.size(); i++) {
        Mapping m = machine.mappings().get(i);
        assertEquals(m.pa() + 0x123, report.results().get(i).physical().orElseThrow(), String.format("va 0x%x", m.va()));
      }
      String text = report.toText(false);
      long pdpte3 = machine.memory().readU64(machine.cr3() + 24);
      assertTrue(text.contains(String.format("reserved bits: PDPTE[3] @0x%x = 0x%x sets reserved bits 0x20 (A)",
          machine.cr3() + 24, pdpte3)), text);
      assertTrue(text.contains("#GP(0)"), text);

      JsonNode json = ReportJson.MAPPER.readTree(ReportJson.write(report.toJson()));
      JsonNode first = json.path("reservedBits").get(0);
      assertEquals("PDPTE", first.path("entry").asText());
      assertEquals("0x20", first.path("bits").asText());
      assertEquals("A", first.path("bitNames").asText());
      assertEquals(touched.size(), json.path("reservedBitEntries").asInt());

      PtDumpReport pt = PtDump.dump(dump.physicalMemory(), ctx);
      assertEquals(touched.size(), pt.reservedBitEntries(), pt.toText());
      assertTrue(pt.toText().contains("reserved bits: PDPTE[3]"), pt.toText());
      assertEquals("0x20", ReportJson.MAPPER.readTree(ReportJson.write(pt.toJson())).path("reservedBits").get(0).path("bits").asText());

      PgdVerdict v = PgdVerifier.verify(dump.physicalMemory(), dump.physicalMemory(), ctx);
      assertTrue(v.preserved());
      assertEquals(touched.size(), v.reservedBitEntries());
      assertTrue(v.toText().contains("reserved bits: PDPTE[3]"), v.toText());
      assertEquals("0x20", v.toJson(ReportJson.MAPPER.createObjectNode()).path("reservedBits").get(0).path("bits").asText());
    }
  }
}
