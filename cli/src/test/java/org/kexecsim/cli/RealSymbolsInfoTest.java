package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.testing.RealDumps;

/**
 * The issue-16 checks on Debian's kernel that really panicked under QEMU ({@link RealDumps}):
 * symbol translations agree with drgn (without and with KASLR), info shows the registers QEMU's
 * `info registers -a` showed when it wrote qemu.elf, and rd/ptov round-trip on the real vmcore.
 */
class RealSymbolsInfoTest {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * drgn, given the vmcore and the -dbg vmlinux, says where linux_banner is (KASLR applied by
   * drgn itself, from VMCOREINFO), what it reads there, and what it reads at our physical address.
   */
  static final String DRGN = """
      import drgn, sys
      prog = drgn.Program()
      prog.set_core_dump(sys.argv[1])
      prog.load_debug_info([sys.argv[2]])
      s = prog.symbol('linux_banner')
      pa = int(sys.argv[3], 0)
      print(hex(s.address))
      print(prog.read(s.address, 64).hex())
      print(prog.read(pa, 64, True).hex())
      """;

  @ParameterizedTest
  @EnumSource(value = RealDumps.Arch.class, names = {"X86_64", "X86_64_KASLR"})
  void vtopOfLinuxBannerBySystemMapAndByVmlinuxAgreesWithDrgn(RealDumps.Arch arch) throws IOException {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn not installed: skipping the drgn oracle");
    RealDumps.Set real = RealDumps.get(arch);
    assumeTrue(real.vmlinux().isPresent(), "the -dbg vmlinux");
    JsonNode byMap = translation(CliRun.of("vtop", real.vmcore().toString(), "--json", "--symbols", real.systemMap().toString(), "linux_banner"));
    JsonNode byElf = translation(CliRun.of("vtop", real.vmcore().toString(), "--json", "--symbols", real.vmlinux().get().toString(), "linux_banner"));
    assertEquals(byMap.toString(), byElf.toString(), "System.map and the vmlinux symbol table give one answer");
    assertEquals("linux_banner", byMap.get("symbol").asText());
    String[] drgn = ExternalOracles.python3(DRGN, real.vmcore().toString(), real.vmlinux().get().toString(),
        byMap.get("physical").asText()).trim().split("\n");
    assertEquals(drgn[0], byMap.get("linear").asText(), "drgn's linux_banner (KASLR applied)");
    assertEquals(drgn[1], drgn[2], "drgn reads at our physical address what it reads at the symbol");
    assertTrue(new String(java.util.HexFormat.of().parseHex(drgn[1]), java.nio.charset.StandardCharsets.ISO_8859_1).startsWith("Linux version "));
    // the kallsyms-derived list the script saved has run-time addresses: not relocated twice
    assertEquals(Long.parseUnsignedLong(drgn[0].substring(2), 16), (long) real.symbols().get("linux_banner"));

    // rd of the symbol gives drgn's bytes; ptov of its physical address lists it again
    JsonNode rd = JSON.readTree(CliRun.of("rd", real.vmcore().toString(), "--json", "--symbols", real.systemMap().toString(),
        "linux_banner", "-l", "64").out());
    StringBuilder hex = new StringBuilder();
    rd.get("pieces").forEach(p -> hex.append(p.get("hex").asText()));
    assertEquals(drgn[1], hex.toString());
    CliRun ptov = CliRun.of("ptov", real.vmcore().toString(), "--symbols", real.systemMap().toString(), byMap.get("physical").asText());
    assertEquals(0, ptov.exitCode(), ptov.err());
    assertTrue(ptov.out().contains(String.format("0x%016x (linux_banner)", Long.parseUnsignedLong(drgn[0].substring(2), 16))), ptov.out());
  }

  private static JsonNode translation(CliRun r) throws IOException {
    assertEquals(0, r.exitCode(), r.err());
    return JSON.readTree(r.out()).get("translations").get(0);
  }

  @Test
  void cr3BySymbolIsTheRootVmcoreinfoNames() {
    RealDumps.Set real = RealDumps.x86_64Kaslr();
    CliRun bySymbol = CliRun.of("vtop", real.vmcore().toString(), "--cr3", "init_top_pgt", "--symbols", real.systemMap().toString(), "linux_banner");
    CliRun byDefault = CliRun.of("vtop", real.vmcore().toString(), "--symbols", real.systemMap().toString(), "linux_banner");
    assertEquals(0, bySymbol.exitCode(), bySymbol.err());
    Matcher root = Pattern.compile("root (0x[0-9a-f]+)").matcher(byDefault.out());
    assertTrue(root.find(), byDefault.out());
    assertTrue(bySymbol.out().startsWith("paging: 4level, root " + root.group(1) + " (--cr3"), bySymbol.out() + " vs " + byDefault.out());
    assertEquals(byDefault.out().lines().skip(1).toList(), bySymbol.out().lines().skip(1).toList());
  }

  /**
   * i386 PAE: --cr3 swapper_pg_dir is VMCOREINFO's root, linux_banner (address from the guest's
   * own kallsyms) is lowmem at va - PAGE_OFFSET (arch/x86/include/asm/page_32.h), and ptov finds it.
   */
  @Test
  void onThePaeVmcoreSymbolsTranslateThroughSwapperPgDir() {
    RealDumps.Set real = RealDumps.pae();
    long banner = real.symbols().get("linux_banner");
    CliRun r = CliRun.of("vtop", real.vmcore().toString(), "--cr3", "swapper_pg_dir", "--symbols", real.systemMap().toString(), "linux_banner");
    assertEquals(0, r.exitCode(), r.err());
    long swapper = real.symbols().get("swapper_pg_dir");
    assertTrue(r.out().startsWith(String.format("paging: pae, root 0x%x (--cr3", swapper - 0xc0000000L)), r.out());
    assertTrue(r.out().contains(String.format("0x%016x (linux_banner) -> 0x%x (", banner, banner - 0xc0000000L)), r.out());
    CliRun p = CliRun.of("ptov", real.vmcore().toString(), "--symbols", real.systemMap().toString(), "linux_banner");
    assertEquals(0, p.exitCode(), p.err());
    assertTrue(p.out().contains(String.format("0x%016x (linux_banner) (", banner)), p.out());
  }

  /** `info registers -a` lines: "RAX=... RBX=...", "CS =0010 ...", "CR0=... CR2=...", per "CPU#n". */
  static List<Map<String, Long>> qemuRegisters(java.nio.file.Path file) throws IOException {
    List<Map<String, Long>> cpus = new ArrayList<>();
    Pattern p = Pattern.compile("\\b(R[A-Z0-9]{1,2}|RIP|RFL|CS|SS|CR[0234])\\s*=([0-9a-f]+)");
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("CPU#")) {
        cpus.add(new LinkedHashMap<>());
        continue;
      }
      Matcher m = p.matcher(line);
      while (m.find() && !cpus.isEmpty()) {
        cpus.getLast().put(m.group(1), Long.parseUnsignedLong(m.group(2), 16));
      }
    }
    return cpus;
  }

  @Test
  void infoShowsTheRegistersQemusNoteHolds() throws IOException {
    RealDumps.Set real = RealDumps.x86_64();
    List<Map<String, Long>> qemu = qemuRegisters(real.registers());
    CliRun r = CliRun.of("info", real.qemuElf().toString(), "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode cpus = JSON.readTree(r.out()).get("cpus");
    assertEquals(qemu.size(), cpus.size());
    Map<String, String> ours = Map.of("RFL", "rflags", "CS", "cs", "SS", "ss");
    int compared = 0;
    for (int i = 0; i < qemu.size(); i++) {
      JsonNode regs = cpus.get(i).get("registers");
      for (Map.Entry<String, Long> e : qemu.get(i).entrySet()) {
        String name = ours.getOrDefault(e.getKey(), e.getKey().toLowerCase(java.util.Locale.ROOT));
        assertTrue(regs.has(name), "CPU " + i + " lacks " + name + ": " + regs);
        assertEquals("0x" + Long.toHexString(e.getValue()), regs.get(name).asText(), "CPU " + i + " " + e.getKey());
        compared++;
      }
      assertTrue(cpus.get(i).get("csLongMode").asBoolean(), "QEMU showed CS64");
    }
    assertTrue(compared >= 2 * 24, "general registers, RIP, RFLAGS, CS, SS and CR0-CR4 of each CPU: " + compared);
    CliRun text = CliRun.of("info", real.vmcore().toString());
    assertTrue(text.out().contains("release " + real.kernelVersion()), text.out());
    assertTrue(text.out().matches("(?s).*crash time 20\\d\\d-\\d\\d-\\d\\dT.*"), text.out());
  }
}
