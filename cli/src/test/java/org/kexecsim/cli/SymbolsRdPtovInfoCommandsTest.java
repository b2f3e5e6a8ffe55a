package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

/**
 * --symbols, rd, ptov and info end to end on a dump the project writes: a direct map of 32M, a
 * kernel image mapping of 16M at 0xffffffff81000000 -> 16M, a System.map naming places in it and
 * VMCOREINFO naming init_top_pgt (so that --cr3 init_top_pgt is the root).
 */
class SymbolsRdPtovInfoCommandsTest {
  static final long DIRECT = Machines.DIRECT_MAP;
  static final long KERNEL_MAP = 0xffff_ffff_8000_0000L;
  static final long TEXT = 0xffff_ffff_8100_0000L;
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  SparseMemory memory;
  long cr3;
  Path image;
  Path map;
  RegisterFile regs;

  @BeforeEach
  void machine() throws IOException {
    memory = Machines.ram(64L << 20);
    PageTableBuilder b = Machines.directMap(memory, 32L << 20, 48L << 20, 32L << 20, PageSize.SIZE_2M);
    b.map(TEXT, 16L << 20, 16L << 20, PageTableEntry.PAGE_KERNEL, PageSize.SIZE_2M);
    cr3 = b.root();
    memory.writeU64(0x123000, 0x1122334455667788L);
    memory.write((16L << 20) + 0x100, "Linux version 9.9".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 17);
    regs = Machines.longModeRegisters(cr3).with(Register.RIP, TEXT + 0x42).with(Register.RSP, DIRECT + 0x8000).with(Register.CS, 0x10);
    VmcoreInfo info = VmcoreInfo.builder().osRelease("9.9.0-test").symbol("init_top_pgt", KERNEL_MAP + cr3).number("phys_base", 0)
        .line("CRASHTIME=1700000000").build();
    image = Machines.writeQemuCore(memory, regs, Optional.of(info), dir.resolve("core"));
    map = Files.writeString(dir.resolve("System.map"), """
        0000000000000000 D __per_cpu_start
        ffffffff81000000 T _text
        ffffffff81000040 T do_crash
        ffffffff81000100 D my_banner
        ffffffff82000000 B _end
        """);
  }

  @Test
  void vtopTakesSymbolsAndBareHexAndNamesWhatItTranslates() {
    CliRun r = CliRun.of("vtop", image.toString(), "--symbols", map.toString(), "my_banner", "do_crash+0x2", "ffff888000123008");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("0xffffffff81000100 (my_banner) -> 0x1000100 (2M page)"), r.out());
    assertTrue(r.out().contains("0xffffffff81000042 (do_crash+0x2) -> 0x1000042 (2M page)"), r.out());
    assertTrue(r.out().contains("0xffff888000123008 -> 0x123008 (2M page)"), "the direct map is not named after a symbol: " + r.out());
    CliRun root = CliRun.of("vtop", image.toString(), "--cr3", "init_top_pgt", "ffff888000123008");
    assertEquals(0, root.exitCode(), root.err());
    assertTrue(root.out().startsWith(String.format("paging: 4level, root 0x%x (--cr3", cr3)), "VMCOREINFO's symbol, as a physical address: " + root.out());
    CliRun unknown = CliRun.of("vtop", image.toString(), "no_such_thing");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("'no_such_thing': no symbol no_such_thing in VMCOREINFO (1 SYMBOL lines); pass --symbols"), unknown.err());
  }

  @Test
  void rdReadsVirtualAndPhysicalAsBytesOrWordsAndStopsAtAHole() {
    CliRun words = CliRun.of("rd", image.toString(), "-w", "64", "-l", "16", "ffff888000123000");
    assertEquals(0, words.exitCode(), words.err());
    assertTrue(words.out().contains("ffff888000123000:  1122334455667788 0000000000000000"), words.out());
    CliRun phys = CliRun.of("rd", image.toString(), "-p", "-w", "32", "-l", "8", "0x123000");
    assertTrue(phys.out().contains("0000000000123000:  55667788 11223344"), phys.out());
    CliRun text = CliRun.of("rd", image.toString(), "--symbols", map.toString(), "my_banner", "-l", "17");
    assertTrue(text.out().startsWith("virtual 0xffffffff81000100 (my_banner), 17 bytes"), text.out());
    assertTrue(text.out().contains("ffffffff81000100:  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 39 2e  Linux version 9."), text.out());
    // across the end of the 32M direct map: 16 bytes, then one line for the unmapped rest
    CliRun hole = CliRun.of("rd", image.toString(), "-l", "0x2010", "0xffff888001fffff0");
    assertEquals(1, hole.exitCode(), hole.err());
    assertTrue(hole.out().contains("ffff888001fffff0:  00 00"), hole.out());
    assertTrue(hole.out().contains("ffff888002000000-ffff888002002000  8K: not mapped: #PF(0x0: not-present): entry not present"), hole.out());
  }

  @Test
  void rdWritesRawBytesAtomicallyAndNothingWhenAPageIsMissing() throws IOException {
    Path out = dir.resolve("bytes.bin");
    CliRun ok = CliRun.of("rd", image.toString(), "-p", "0x122ff8", "-l", "0x20", "-o", out.toString());
    assertEquals(0, ok.exitCode(), ok.err());
    byte[] expected = new byte[0x20];
    memory.read(0x122ff8, expected, 0, expected.length);
    assertArrayEquals(expected, Files.readAllBytes(out));
    CliRun again = CliRun.of("rd", image.toString(), "-p", "0x0", "-l", "0x20", "-o", out.toString());
    assertEquals(4, again.exitCode(), "an existing file is not replaced without --force: " + again.err());
    assertArrayEquals(expected, Files.readAllBytes(out));
    Path partial = dir.resolve("partial.bin");
    CliRun hole = CliRun.of("rd", image.toString(), "-l", "0x2010", "-o", partial.toString(), "0xffff888001fffff0");
    assertEquals(1, hole.exitCode());
    assertTrue(hole.err().contains("not mapped") && hole.err().contains("not written"), hole.err());
    assertFalse(Files.exists(partial), "no half-written output");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temporary left behind");
    }
  }

  @Test
  void rdJsonCarriesEachPiecesPhysicalAddressAndHex() throws IOException {
    CliRun r = CliRun.of("rd", image.toString(), "--json", "-l", "0x1008", "0xffff888000122ff8");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode n = JSON.readTree(r.out());
    assertEquals("kexec-sim/rd/v1", n.get("format").asText());
    assertEquals(2, n.get("pieces").size(), "one piece per page");
    assertEquals("0x122ff8", n.get("pieces").get(0).get("physical").asText());
    assertEquals("0x123000", n.get("pieces").get(1).get("physical").asText());
    assertEquals("8877665544332211", n.get("pieces").get(1).get("hex").asText().substring(0, 16));
    assertTrue(n.get("complete").asBoolean());
  }

  @Test
  void ptovFindsEveryMappingOfAPhysicalAddressWithItsEntries() throws IOException {
    CliRun r = CliRun.of("ptov", image.toString(), "--symbols", map.toString(), "0x1000100");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("0x1000100 (my_banner): 2 mappings"), r.out());
    assertTrue(r.out().contains("0xffff888001000100 (2M page)"), r.out());
    assertTrue(r.out().contains("0xffffffff81000100 (my_banner) (2M page)"), r.out());
    assertTrue(r.out().contains("PML4E[511]"), "with the entry chain: " + r.out());
    CliRun bySymbol = CliRun.of("ptov", image.toString(), "--symbols", map.toString(), "--json", "my_banner");
    JsonNode n = JSON.readTree(bySymbol.out());
    assertEquals("kexec-sim/ptov/v1", n.get("format").asText());
    assertEquals("0x1000100", n.get("roots").get(0).get("addresses").get(0).get("physical").asText());
    CliRun none = CliRun.of("ptov", image.toString(), "0x3000000");
    assertEquals(1, none.exitCode(), "RAM above the direct map is mapped nowhere: " + none.out());
    assertTrue(none.out().contains("0x3000000: not mapped through this root"), none.out());
  }

  @Test
  void infoShowsFormatRamNotesRegistersVmcoreinfoAndRoots() throws IOException {
    CliRun t = CliRun.of("info", image.toString());
    assertEquals(0, t.exitCode(), t.err());
    assertTrue(t.out().contains("format:  elf ELF64, x86_64 (EM_X86_64)"), t.out());
    assertTrue(t.out().contains(String.format("cr3   =%016x", cr3)), t.out());
    assertTrue(t.out().contains("crash time 2023-11-14T22:13:20Z"), "CRASHTIME 1700000000 in UTC: " + t.out());
    assertTrue(t.out().contains("release 9.9.0-test"), t.out());
    JsonNode n = JSON.readTree(CliRun.of("info", image.toString(), "--json").out());
    assertEquals("kexec-sim/info/v1", n.get("format").asText());
    JsonNode cpu = n.get("cpus").get(0);
    assertEquals("0x" + Long.toHexString(cr3), cpu.get("registers").get("cr3").asText());
    assertEquals("0x" + Long.toHexString(TEXT + 0x42), cpu.get("registers").get("rip").asText());
    assertEquals("0x10", cpu.get("registers").get("cs").asText());
    assertTrue(cpu.get("csLongMode").asBoolean(), "CS.L from EFER.LMA");
    assertFalse(cpu.get("eferRecorded").asBoolean());
    assertEquals(64L << 20, n.get("ram").get("bytes").asLong());
    assertTrue(n.get("roots").toString().contains("VMCOREINFO kernel root = CPU 0 CR3"), n.get("roots").toString());
    assertEquals("9.9.0-test", n.get("vmcoreinfo").get("osRelease").asText());
    assertTrue(CliRun.of("info", "--help").out().contains("Describes a dump"));
    assertTrue(CliRun.of("rd", "--help").out().contains("--word"));
    assertTrue(CliRun.of("ptov", "--help").out().contains("every root the dump names"));
  }

  @Test
  void diffAndVerifyPgdNameWhatTheyFindInTheKernelImage() throws IOException {
    SparseMemory after = memory.copy();
    after.writeU64((16L << 20) + 0x100, 0); // my_banner overwritten
    after.writeU64(cr3 + 8 * 511, 0); // and the kernel's top-level entry for the image
    Path b = Machines.writeQemuCore(after, regs, Optional.empty(), dir.resolve("after"));
    CliRun diff = CliRun.of("diff", image.toString(), b.toString(), "--symbols", map.toString());
    assertTrue(diff.out().contains("(_text)"), "the differing page at 16M is the image's first: " + diff.out());
    CliRun verify = CliRun.of("verify-pgd", image.toString(), b.toString(), "--symbols", map.toString(), "--cr3", "init_top_pgt");
    assertEquals(1, verify.exitCode(), verify.out());
    assertTrue(verify.out().contains("linear 0xffffff8000000000 +512G"), verify.out());
    assertTrue(verify.out().contains(String.format("PML4E table at 0x%x (init_top_pgt) (linear 0x0..)", cr3)), verify.out());
  }
}
