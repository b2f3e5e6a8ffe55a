package org.kexecsim.analyzer.symbols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.testing.RealDumps;

class SymbolsTest {
  @TempDir Path dir;

  static final String MAP = """
      0000000000000000 D __per_cpu_start
      000000000000a000 D fixed_percpu_data
      0000000001000000 A phys_startup_64
      ffffffff81000000 T _stext
      ffffffff81000000 T _text
      ffffffff81000000 T startup_64
      ffffffff82161900 D linux_banner
      ffffffff82a10000 D init_top_pgt
      ffffffff82a10000 d early_top_pgt_alias
      ffffffff83000000 B _end
      """;

  @Test
  void addressExpressionsAreHexNumbersOrSymbolsWithHexOffsets() {
    assertEquals(0xffffffff81000000L, AddressExpression.parse("ffffffff81000000").offset());
    assertEquals(0xffffffff81000000L, AddressExpression.parse("0xFFFFFFFF81000000").offset());
    assertEquals(0x1000, AddressExpression.parse("1000").offset(), "bare digits are hex, as crash reads addresses");
    AddressExpression e = AddressExpression.parse("init_top_pgt+0x800");
    assertEquals(Optional.of("init_top_pgt"), e.symbol());
    assertEquals(0x800, e.offset());
    assertEquals(-0x10, AddressExpression.parse("_end-10").offset());
    assertEquals(Optional.of("__func__.0"), AddressExpression.parse("__func__.0").symbol());
    assertEquals(0x1010, AddressExpression.parse("0x1000+0x10").offset());
    for (String bad : List.of("", "0x", "linux banner", "a+b+c", "1ffffffffffffffff", "sym+", "+4", "0xg1")) {
      assertThrows(IllegalArgumentException.class, () -> AddressExpression.parse(bad), bad);
    }
  }

  @Test
  void namesAnAddressAfterTheNearestSymbolBelowPreferringGlobalUnprefixedShortNames() throws IOException {
    Path map = Files.writeString(dir.resolve("System.map"), MAP);
    KernelSymbols k = KernelSymbols.of(Optional.empty(), Dump.EM_X86_64, SymbolFile.read(map), Optional.of("System.map"));
    assertEquals(Optional.of("startup_64"), k.at(0xffffffff81000000L), "of _stext, _text, startup_64 (all global): the one without a leading underscore");
    assertEquals(Optional.of("linux_banner+0x10"), k.at(0xffffffff82161910L));
    assertEquals(Optional.of("init_top_pgt+0x800"), k.at(0xffffffff82a10800L));
    assertEquals(Optional.of("_end"), k.at(0xffffffff83000000L));
    assertEquals(Optional.empty(), k.at(0xffffffff83000001L), "past the last symbol nothing is known");
    assertEquals(Optional.empty(), k.at(0xa010L), "per-CPU offsets do not name user addresses");
    assertEquals(Optional.empty(), k.at(0xffff888000000000L), "the direct map lies below the image");
    assertEquals(0x1000000L, k.table().address("phys_startup_64").getAsLong(), "absolute symbols are still looked up by name");
    assertEquals(0x2a10800L, k.resolvePhysical(AddressExpression.parse("init_top_pgt+0x800")), "phys_base 0 without VMCOREINFO");
    assertEquals(Optional.of("init_top_pgt"), k.atPhysical(0x2a10000L));
    AnalysisException e = assertThrows(AnalysisException.class, () -> k.resolve(AddressExpression.parse("no_such_symbol")));
    assertEquals(AnalysisException.Kind.USAGE, e.kind());
  }

  @Test
  void ofSymbolsAtOneAddressTheGlobalOneWithoutLeadingUnderscoreNamesIt() throws IOException {
    // the rule is: global first, then fewer leading underscores, then shorter name
    Path map = Files.writeString(dir.resolve("m"), "ffffffff81000000 T _stext\nffffffff81000000 T startup_64\nffffffff81000000 t aaa\n");
    KernelSymbols k = KernelSymbols.of(Optional.empty(), Dump.EM_X86_64, SymbolFile.read(map), Optional.of("m"));
    assertEquals(Optional.of("startup_64"), k.at(0xffffffff81000000L));
  }

  @Test
  void aLinkTimeMapIsRelocatedByKernelOffsetAndARunTimeListIsNot() throws IOException {
    long kaslr = 0x3c00000;
    VmcoreInfo info = VmcoreInfo.builder().symbol("init_top_pgt", 0xffffffff82a10000L + kaslr)
        .number("phys_base", 0x2a00000).kernelOffset(kaslr).build();
    List<Symbol> linkTime = SymbolFile.text("System.map", java.lang.foreign.MemorySegment.ofArray(MAP.getBytes(StandardCharsets.US_ASCII)));
    KernelSymbols k = KernelSymbols.of(Optional.of(info), Dump.EM_X86_64, linkTime, Optional.of("System.map"));
    assertEquals(0xffffffff82161900L + kaslr, k.address("linux_banner").getAsLong());
    assertEquals(0L, k.address("__per_cpu_start").getAsLong(), "per-CPU offsets do not move");
    assertEquals(0x1000000L, k.address("phys_startup_64").getAsLong(), "absolute symbols do not move");
    assertEquals(0xffffffff82a10000L - 0xffffffff80000000L + kaslr + 0x2a00000,
        k.resolvePhysical(AddressExpression.parse("init_top_pgt")), "va - __START_KERNEL_map + phys_base");
    assertTrue(k.source().contains("KERNELOFFSET 0x3c00000 applied"), k.source());

    String runTime = MAP.lines().map(l -> {
      long a = Long.parseUnsignedLong(l.substring(0, 16), 16);
      return (Long.compareUnsigned(a, 0xffffffff80000000L) >= 0 ? String.format("%016x", a + kaslr) : l.substring(0, 16)) + l.substring(16);
    }).reduce("", (x, y) -> x + y + "\n");
    KernelSymbols r = KernelSymbols.of(Optional.of(info), Dump.EM_X86_64,
        SymbolFile.text("kallsyms", java.lang.foreign.MemorySegment.ofArray(runTime.getBytes(StandardCharsets.US_ASCII))), Optional.of("kallsyms"));
    assertEquals(0xffffffff82161900L + kaslr, r.address("linux_banner").getAsLong(), "a kallsyms copy is not moved twice");

    VmcoreInfo other = VmcoreInfo.builder().symbol("init_top_pgt", 0xffffffff82a20000L).kernelOffset(kaslr).build();
    SymbolFileException x = assertThrows(SymbolFileException.class,
        () -> KernelSymbols.of(Optional.of(other), Dump.EM_X86_64, linkTime, Optional.of("System.map")));
    assertTrue(x.getMessage().startsWith("System.map does not belong to this dump: init_top_pgt is 0xffffffff82a10000 there"), x.getMessage());
  }

  @Test
  void vmcoreinfoAloneNamesItsSymbols() {
    VmcoreInfo info = VmcoreInfo.builder().symbol("swapper_pg_dir", 0xc1ea6000L).config("X86_PAE").build();
    KernelSymbols k = KernelSymbols.of(Optional.of(info), Dump.EM_386, List.of(), Optional.empty());
    assertEquals(0x1ea6000L, k.resolvePhysical(AddressExpression.parse("swapper_pg_dir")), "i386: va - PAGE_OFFSET");
    assertEquals(Optional.of("swapper_pg_dir"), k.at(0xc1ea6000L));
    assertEquals(Optional.of("swapper_pg_dir+0x18"), k.at(0xc1ea6000L + 0x18), "a VMCOREINFO symbol names its own page");
    assertEquals(Optional.empty(), k.at(0xc1ea7000L));
  }

  /** i386 names a physical address at pa + PAGE_OFFSET up to 4 GiB - PAGE_OFFSET: every 32-bit VA above PAGE_OFFSET. */
  @Test
  void i386PhysicalNamesReachTheTopOfTheAddressSpace() {
    List<Symbol> list = List.of(new Symbol("_text", 0xc1000000L, 'T', 0), new Symbol("top", 0xfffff000L, 'D', 0),
        new Symbol("_end", 0xfffff800L, 'D', 0));
    KernelSymbols k = KernelSymbols.of(Optional.empty(), Dump.EM_386, list, Optional.of("System.map"));
    assertEquals(Optional.of("_text"), k.atPhysical(0x1000000L));
    assertEquals(Optional.of("top+0x10"), k.atPhysical(0x3ffff010L), "the last page below 4 GiB - PAGE_OFFSET (1 GiB)");
    assertEquals(Optional.empty(), k.atPhysical(0x40000000L), "pa + PAGE_OFFSET = 4 GiB is no i386 address");
  }

  @Test
  void aVmcoreinfoPointerValueInTheDirectMapNamesNothing() {
    // kernel/vmcore_info.c VMCOREINFO_SYMBOL_ARRAY(mem_section) records the pointer's value, a heap address
    VmcoreInfo info = VmcoreInfo.builder().symbol("mem_section", 0xffff88803ffd4000L).symbol("init_top_pgt", 0xffffffff82a10000L).build();
    KernelSymbols k = KernelSymbols.of(Optional.of(info), Dump.EM_X86_64, List.of(), Optional.empty());
    assertEquals(Optional.empty(), k.at(0xffffffff80000000L));
    assertEquals(Optional.empty(), k.atPhysical(0));
    assertEquals(Optional.empty(), k.at(0xffff88803ffd4000L + 8));
    assertEquals(Optional.of("init_top_pgt"), k.at(0xffffffff82a10000L));
    assertEquals(Optional.of("init_top_pgt+0xff8"), k.at(0xffffffff82a10ff8L), "within its page");
  }

  @Test
  void vmcoreinfosFewSymbolsNameOnlyTheirOwnPage() {
    VmcoreInfo info = VmcoreInfo.builder().symbol("_stext", 0xffffffff81000000L).symbol("init_top_pgt", 0xffffffff82a10000L).build();
    KernelSymbols k = KernelSymbols.of(Optional.of(info), Dump.EM_X86_64, List.of(), Optional.empty());
    assertEquals(Optional.empty(), k.at(0xffffffff82161900L), "linux_banner is not _stext+0x1161900");
    assertEquals(Optional.of("_stext+0x10"), k.at(0xffffffff81000010L));
  }

  @Test
  void hostileSymbolFilesAreOneLineRefusals() throws IOException {
    Map<String, byte[]> cases = new HashMap<>();
    cases.put("garbage", "hello world this is not\n".getBytes(StandardCharsets.US_ASCII));
    cases.put("kptr", "0000000000000000 T _stext\n0000000000000000 D linux_banner\n".getBytes(StandardCharsets.US_ASCII));
    cases.put("long", new byte[10_000]);
    cases.put("empty", new byte[0]);
    byte[] elf = new byte[64];
    elf[0] = 0x7f; elf[1] = 'E'; elf[2] = 'L'; elf[3] = 'F'; elf[4] = 2; elf[5] = 1;
    elf[0x28] = (byte) 0xf0; elf[0x29] = (byte) 0xff; elf[0x3a] = 64; elf[0x3c] = 40; // e_shoff far past the end
    cases.put("elf-shoff", elf);
    byte[] noSections = elf.clone();
    noSections[0x28] = 0; noSections[0x29] = 0;
    cases.put("elf-stripped", noSections);
    Map<String, String> expect = Map.of(
        "garbage", "garbage:1: 'hello world this is not' is not a symbol line",
        "kptr", "kptr: every address is 0",
        "long", "long:1: a line longer than 4096 bytes",
        "empty", "empty: empty file",
        "elf-shoff", "elf-shoff: offset 0xfff0: the section header table (0xa00 bytes at 0xfff0) extends past the end of the file",
        "elf-stripped", "elf-stripped: offset 0x28: no section headers");
    for (var c : cases.entrySet()) {
      Path p = Files.write(dir.resolve(c.getKey()), c.getValue());
      SymbolFileException e = assertThrows(SymbolFileException.class, () -> SymbolFile.read(p), c.getKey());
      assertTrue(e.getMessage().startsWith(p.getParent() + "/" + expect.get(c.getKey())), e.getMessage());
      assertTrue(e.getMessage().lines().count() == 1);
    }
    assertThrows(SymbolFileException.class, () -> SymbolFile.read(dir.resolve("missing")));
  }

  /** An object file assembled by GNU as, its symbols listed by nm: the oracle for the ELF reader. */
  @Test
  void elfSymbolsOfAnObjectFileAreThoseNmLists() throws Exception {
    assumeTrue(RealDumps.onPath("as") && RealDumps.onPath("nm"), "GNU as and nm (binutils)");
    for (String arch : List.of("--64", "--32")) {
      Path src = Files.writeString(dir.resolve("t.s"), """
          .text
          .globl entry
          entry: nop
          nop
          local_fn: ret
          .data
          .globl table
          table: .quad 1, 2
          counter: .long 3
          .set magic, 0x1234
          .globl magic
          """);
      Path obj = dir.resolve("t" + arch.substring(2) + ".o");
      run("as", arch, "-o", obj.toString(), src.toString());
      Map<String, Long> nm = new HashMap<>();
      for (String l : run("nm", obj.toString()).lines().toList()) {
        String[] f = l.trim().split("\\s+");
        if (f.length == 3) {
          nm.put(f[2], Long.parseUnsignedLong(f[0], 16));
        }
      }
      Map<String, Long> ours = new HashMap<>();
      for (Symbol s : SymbolFile.read(obj)) {
        ours.put(s.name(), s.address());
      }
      assertEquals(nm, ours, arch);
    }
  }

  @Test
  void theRealVmlinuxAgreesWithItsSystemMap() throws IOException {
    RealDumps.Set set = RealDumps.x86_64();
    assumeTrue(set.vmlinux().isPresent(), "the -dbg vmlinux");
    Map<String, Long> map = set.systemMapSymbols();
    Map<String, Long> elf = new HashMap<>();
    for (Symbol s : SymbolFile.read(set.vmlinux().get())) {
      elf.putIfAbsent(s.name(), s.address());
    }
    for (String name : List.of("linux_banner", "init_top_pgt", "_stext", "_etext", "init_uts_ns", "_end", "start_kernel")) {
      assertEquals(map.get(name), elf.get(name), name);
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    return out;
  }
}
