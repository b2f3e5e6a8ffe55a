package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** transition --hypervisor xen, and the dump it leaves read back with vtop --xen-dom0 and verify-pgd. */
class XenCommandsTest {
  @TempDir Path dir;

  @Test
  void pageTableAUnderXenEntersAndItsVmcoreTranslatesDom0() throws Exception {
    Path out = dir.resolve("xen");
    CliRun r = CliRun.of("transition", "--hypervisor", "xen", "--arch", "x86_64", "--design", "page-table-a", "--ram", "1G",
        "--crashkernel", "128M", "--out", out.toString(), "--json");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("entered", doc.get("outcome").asText());
    assertTrue(doc.get("oldPgd").get("preserved").asBoolean());
    String cr3 = doc.get("xen").get("dom0Cr3Machine").asText();
    assertNotEquals(cr3, doc.get("xen").get("dom0Cr3PseudoPhysical").asText());
    assertEquals(doc.get("xen").get("pageList").get(1).asText(), doc.get("prepare").get("switchVirtual").asText());

    CliRun v = CliRun.of("vtop", out.resolve("vmcore").toString(), "--xen-dom0", "--symbols", out.resolve("System.map").toString(),
        "--json", "relocate_kernel");
    assertEquals(0, v.exitCode(), v.out() + v.err());
    JsonNode t = new ObjectMapper().readTree(v.out());
    assertEquals(cr3, t.get("paging").get("root").asText());
    JsonNode one = t.get("translations").get(0);
    assertNotEquals(one.get("physical").asText(), one.get("pseudoPhysical").asText());

    // dom0's pgd, found through the pre image's CPU note (a machine CR3), survived into the vmcore
    CliRun p = CliRun.of("verify-pgd", out.resolve("pre.core").toString(), out.resolve("vmcore").toString(), "--cr3", cr3);
    assertEquals(0, p.exitCode(), p.out() + p.err());
  }

  /** machine_kexec's tail calls page_list[1]: the routine runs at the hypervisor's fixmap VA and switches CR3 there. */
  @Test
  void traceStartsAtTheHypervisorsVa() {
    CliRun r = CliRun.of("transition", "--hypervisor", "xen", "--arch", "x86_64", "--design", "page-table-a", "--ram", "1G",
        "--trace");
    assertEquals(0, r.exitCode(), r.err());
    String pageList1 = r.out().lines().filter(l -> l.startsWith("xen: dom0 CR3")).findFirst().orElseThrow()
        .replaceAll(".*page_list\\[1\\] = 0x", "");
    java.util.List<String> fetched = r.out().lines().filter(l -> l.matches("[0-9a-f]{8,16}  .*")).toList();
    // machine_kexec's tail (page-table-a V2 only calls) hands over to page_list[1]
    assertTrue(fetched.get(0).contains("$0x" + pageList1 + ","), fetched.get(0) + " / " + pageList1);
    // at a kernel VA (a negative long) the trace still shows all of movabs's 10 bytes
    long target = Long.parseUnsignedLong(pageList1, 16);
    StringBuilder movabs = new StringBuilder("48 b8"); // REX.W B8+r io (SDM Vol. 2B MOV)
    for (int i = 0; i < 8; i++) {
      movabs.append(String.format(" %02x", (target >>> (8 * i)) & 0xff));
    }
    assertTrue(fetched.get(0).contains("  " + movabs + " "), fetched.get(0));
    assertTrue(fetched.stream().anyMatch(l -> l.startsWith(pageList1 + " ")), r.out());
    assertTrue(r.out().contains("mov    %rcx,%cr3"), r.out());
  }

  @Test
  void singleTableOnALargeMachineIsRefusedByTheHypervisorAsANegativeVerdict() {
    CliRun r = CliRun.of("transition", "--hypervisor", "xen", "--arch", "x86_64", "--design", "single-table", "--ram", "2G");
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("KEXEC_CMD_kexec_load refused"), r.out());
    assertTrue(r.out().contains("needs 9 pages"), r.out());
  }

  @Test
  void badUsageAndBadInputAreOneLine() {
    CliRun kvm = CliRun.of("transition", "--hypervisor", "kvm", "--arch", "x86_64", "--design", "page-table-a");
    assertEquals(2, kvm.exitCode(), kvm.err());
    CliRun normal = CliRun.of("transition", "--hypervisor", "xen", "--arch", "x86_64", "--design", "page-table-a", "--kexec", "normal");
    assertEquals(3, normal.exitCode(), normal.err());
    assertEquals(1, normal.err().strip().lines().count(), normal.err());
    CliRun huge = CliRun.of("transition", "--hypervisor", "xen", "--arch", "x86_64", "--design", "page-table-a", "--ram", "256G");
    assertEquals(3, huge.exitCode(), huge.err());
    assertTrue(huge.err().contains("up to 64 GiB"), huge.err());
    CliRun i386 = CliRun.of("transition", "--hypervisor", "xen", "--arch", "i386", "--design", "page-table-a", "--ram", "512M");
    assertEquals(3, i386.exitCode(), i386.err());
  }

  @Test
  void vtopXenDom0OnAPlainVmcoreSaysSo() {
    Path out = dir.resolve("plain");
    assertEquals(0, CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "64M",
        "--out", out.toString()).exitCode());
    CliRun v = CliRun.of("vtop", out.resolve("vmcore").toString(), "--xen-dom0", "0xffffffff81000000");
    assertEquals(3, v.exitCode(), v.err());
    assertTrue(v.err().contains("not a Xen host's vmcore"), v.err());
  }
}
