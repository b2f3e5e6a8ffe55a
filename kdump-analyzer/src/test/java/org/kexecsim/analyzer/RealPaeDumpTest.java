package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.testing.RealDumps;

/**
 * Debian's 686-pae kernel that really panicked under qemu-system-i386 ({@link RealDumps#pae()}):
 * QEMU's ELF dump of it running, and the capture kernel's own ELF32 /proc/vmcore.
 *
 * <p>QEMU's TCG walker sets the Accessed bit (bit 5) in PAE PDPTEs, which the SDM marks reserved
 * (4.4.1, Table 4-8): the analyzer walks through them (ReservedBitPolicy.REPORT) and reports each
 * one; the CPU model would #GP on loading them.
 */
class RealPaeDumpTest {
  /** i386 PAGE_OFFSET with the default 3G/1G split (arch/x86/include/asm/page_32_types.h). */
  static final long PAGE_OFFSET = 0xC000_0000L;
  /** The PDPTE bit TCG sets and the SDM reserves (4.4.1, Table 4-8). */
  static final long PDPTE_ACCESSED = 1L << 5;

  static RealDumps.Set real;
  static Map<String, Long> sym;

  @BeforeAll
  static void generate() {
    real = RealDumps.pae();
    sym = real.symbols();
  }

  /** Low memory is linearly mapped: __pa(x) = x - PAGE_OFFSET (arch/x86/include/asm/page_32.h). */
  static long lowmemPa(long va) {
    return va - PAGE_OFFSET;
  }

  static byte[] read(Dump dump, long pa, int n) {
    byte[] b = new byte[n];
    dump.physicalMemory().read(pa, b, 0, n);
    return b;
  }

  static long translate(Dump dump, PagingContext ctx, long va) {
    VtopResult r = Vtop.translate(dump.physicalMemory(), ctx, List.of(va)).results().getFirst();
    assertTrue(r.isMapped(), () -> String.format("0x%x unmapped: %s", va, r.fault().orElse("")));
    return r.physical().getAsLong();
  }

  static String release(Dump vmcore) {
    return vmcore.vmcoreInfo().flatMap(VmcoreInfo::osRelease).orElseThrow();
  }

  @Test
  void theCaptureKernelsVmcoreIsElf32WithTheCrashedKernelsBannerAtItsLowmemAddress() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      assertEquals(Dump.EM_386, vmcore.eMachine());
      String banner = new String(read(vmcore, lowmemPa(sym.get("linux_banner")), 80), StandardCharsets.US_ASCII);
      assertTrue(banner.startsWith("Linux version " + release(vmcore) + " "), banner);
      assertEquals(real.kernelVersion(), release(vmcore));
    }
  }

  @Test
  void qemusElfAndTheVmcoreHoldTheSameKernelTextAndReadOnlyData() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      long text = lowmemPa(sym.get("_stext"));
      assertArrayEquals(read(qemu, text, 4096), read(vmcore, text, 4096));
      long banner = lowmemPa(sym.get("linux_banner"));
      assertArrayEquals(read(qemu, banner, 256), read(vmcore, banner, 256));
    }
  }

  /** The premise of the tagged tests: every PAE dump taken under TCG carries the reserved bit. */
  @Test
  void thePdptesOfTheKernelRootCarryTheAccessedBitTcgSets() throws Exception {
    try (Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      long root = lowmemPa(sym.get("swapper_pg_dir"));
      boolean any = false;
      for (int i = 0; i < 4; i++) {
        long pdpte = qemu.physicalMemory().readU64(root + 8L * i);
        any |= (pdpte & 1) != 0 && (pdpte & PDPTE_ACCESSED) != 0;
      }
      assertTrue(any, "no present PDPTE of swapper_pg_dir has bit 5 set: QEMU no longer sets it, revisit these tests");
    }
  }

  @Test
  void libkdumpfileReadsTheSameBannerFromQemusZlibDumpAndTheVmcore() throws Exception {
    assumeTrue(ExternalOracles.python3Module("kdumpfile"), "python3-libkdumpfile not installed: skipping the cross-check");
    long va = sym.get("linux_banner");
    try (Dump qemu = ElfCoreReader.open(real.qemuElf()); Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      // libkdumpfile reads physical memory of QEMU's -z (reassembled) dump of the state qemu.elf holds...
      String z = ExternalOracles.python3("""
          import kdumpfile, sys
          k = kdumpfile.kdumpfile(sys.argv[1])
          print(bytes(k.read(kdumpfile.KDUMP_MACHPHYSADDR, int(sys.argv[2], 0), 128)).hex())""",
          real.qemuKdumpZlib().toString(), "0x" + Long.toHexString(lowmemPa(va)));
      assertEquals(HexFormat.of().formatHex(read(qemu, lowmemPa(va), 128)), z.trim());
      // ... and translates the kernel virtual address itself in the capture kernel's vmcore.
      String v = ExternalOracles.python3("""
          import kdumpfile, sys
          k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
          print(bytes(k.read(kdumpfile.KDUMP_KVADDR, int(sys.argv[2], 0), 128)).hex())""",
          real.vmcore().toString(), "0x" + Long.toHexString(va));
      assertEquals(HexFormat.of().formatHex(read(vmcore, lowmemPa(va), 128)), v.trim());
    }
  }

  @Test
  void qemusDumpTranslatesThroughTheCr3OfItsNoteDespiteTcgsPdpteBit() throws Exception {
    try (Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      PagingContext ctx = RootTableFinder.find(qemu);
      assertEquals(PagingMode.PAE, ctx.mode());
      for (String name : List.of("linux_banner", "_stext", "init_uts_ns", "swapper_pg_dir")) {
        assertEquals(lowmemPa(sym.get(name)), translate(qemu, ctx, sym.get(name)), name);
      }
      assertTrue(!ctx.rootFindings().isEmpty()
          && ctx.rootFindings().stream().allMatch(f -> f.paePdpte() && f.bits() == PDPTE_ACCESSED),
          () -> "each PDPTE TCG marked is a finding: " + ctx.rootFindings());
    }
  }

  @Test
  void theVmcoresRootIsSwapperPgDirFromVmcoreinfoAndTranslatesTheBanner() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = RootTableFinder.find(vmcore);
      assertEquals(PagingMode.PAE, ctx.mode());
      assertEquals(lowmemPa(sym.get("swapper_pg_dir")), ctx.root());
      long pa = translate(vmcore, ctx, sym.get("linux_banner"));
      assertEquals(lowmemPa(sym.get("linux_banner")), pa);
      String banner = new String(read(vmcore, pa, 80), StandardCharsets.US_ASCII);
      assertTrue(banner.startsWith("Linux version " + release(vmcore) + " "), banner);
      // The vmcore alone (verify-pgd with one image): the kernel's tables whole, its symbols mapped.
      PgdVerdict alone = PgdVerifier.inspect(vmcore.physicalMemory(), ctx, "kernel", vmcore.vmcoreInfo(),
          OptionalLong.of(ctx.root()));
      assertTrue(alone.preserved() && alone.symbols().size() > 4, alone::toText);
    }
  }

  @Test
  void ptdumpSeesThePaeKernelTextExecutableAndReadOnly() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PtDumpReport pt = PtDump.dump(vmcore.physicalMemory(), RootTableFinder.find(vmcore));
      long stext = sym.get("_stext");
      long etext = sym.get("_etext");
      // arch/x86/mm/init_32.c mark_rodata_ro: text read-only; NX (PAE has it) kept off for text.
      RealKdumpVmcoreTest.assertTextMappedReadOnlyExecutable(pt, stext, etext);
    }
  }

  /** As {@link RealKdumpVmcoreTest}: the root and the kernel text kept, up to A/D bits (and TCG's PDPTE bit 5). */
  @Test
  void verifyPgdFindsTheRootAndTheKernelTextKeptUpToHardwareAccessedDirtyBits() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      PagingContext ctx = RootTableFinder.find(vmcore);
      PgdVerdict v = PgdVerifier.verify(qemu.physicalMemory(), vmcore.physicalMemory(), ctx);
      assertTrue(v.tablesChecked() > 4, "walked " + v.tablesChecked() + " tables");
      RealKdumpVmcoreTest.assertKeptUpToAccessedDirty(v, ctx.root(), sym.get("_stext"), sym.get("_etext"));
    }
  }
}
