package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.analyzer.verify.EntryChange;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.verify.TableChange;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.testing.RealDumps;

/**
 * The capture kernel's own /proc/vmcore of Debian's x86_64 kernel that really panicked under QEMU
 * (scripts/real-kdump.sh via {@link RealDumps}): the analyzer finds the crashed kernel's root
 * from VMCOREINFO alone and its translations agree with the kernel's symbols, with QEMU's view of
 * the same guest, and with drgn and libkdumpfile reading the same file.
 */
class RealKdumpVmcoreTest {
  /** x86_64 direct map base without KASLR (Documentation/x86/x86_64/mm.rst, 4-level). */
  static final long PAGE_OFFSET = 0xFFFF_8880_0000_0000L;

  static RealDumps.Set real;
  static Map<String, Long> sym;

  @BeforeAll
  static void generate() {
    real = RealDumps.x86_64();
    sym = real.symbols();
  }

  static PagingContext crashedKernelRoot(Dump vmcore) {
    return RootTableFinder.find(vmcore, OptionalLong.empty(), Optional.empty(), 0);
  }

  static VtopResult translate(Dump dump, PagingContext ctx, long va) {
    VtopResult r = Vtop.translate(dump.physicalMemory(), ctx, List.of(va)).results().getFirst();
    assertTrue(r.isMapped(), () -> String.format("0x%x unmapped: %s", va, r.fault().orElse("")));
    return r;
  }

  static byte[] read(Dump dump, long pa, int n) {
    byte[] b = new byte[n];
    dump.physicalMemory().read(pa, b, 0, n);
    return b;
  }

  @Test
  void theRootComesFromVmcoreinfoAndIsTheCr3AnIdleCpuHadBeforeThePanic() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      assertEquals(PagingMode.LEVEL4, ctx.mode());
      assertTrue(ctx.rootSource().startsWith("VMCOREINFO SYMBOL(init_top_pgt)"), ctx.rootSource());
      // QEMU's `info registers -a` of the same guest, stopped before the panic: a CPU in the kernel
      // with no user process (idle, or a kernel thread) runs on init_mm, whose pgd is init_top_pgt.
      assertTrue(real.cr3s().stream().anyMatch(cr3 -> (cr3 & ~0x1FFFL) == ctx.root()),
          () -> String.format("no CPU's CR3 %s is the root 0x%x", real.cr3s(), ctx.root()));
    }
  }

  @Test
  void linuxBannerReadsLinuxVersionAndTheReleaseVmcoreinfoNames() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      VtopResult r = translate(vmcore, crashedKernelRoot(vmcore), sym.get("linux_banner"));
      String banner = new String(read(vmcore, r.physical().getAsLong(), 80), StandardCharsets.US_ASCII);
      String release = vmcore.vmcoreInfo().flatMap(VmcoreInfo::osRelease).orElseThrow();
      assertTrue(banner.startsWith("Linux version " + release + " "), banner);
    }
  }

  @Test
  void initTopPgtTranslatesToItsLinkOffsetPlusPhysBase() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      long physBase = vmcore.vmcoreInfo().orElseThrow().number("phys_base").orElseThrow();
      long va = sym.get("init_top_pgt");
      // arch/x86/include/asm/page_64.h __phys_addr_symbol: x - __START_KERNEL_map + phys_base.
      assertEquals(va - RootTableFinder.START_KERNEL_MAP + physBase, translate(vmcore, ctx, va).physical().getAsLong());
      // ... and the walk through the page tables lands on the root it started from.
      assertEquals(ctx.root(), translate(vmcore, ctx, va).physical().getAsLong());
    }
  }

  @Test
  void ptdumpSeesTheKernelTextExecutableAndReadOnly() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PtDumpReport pt = PtDump.dump(vmcore.physicalMemory(), crashedKernelRoot(vmcore));
      long stext = sym.get("_stext");
      long etext = sym.get("_etext");
      // arch/x86/mm/init_64.c mark_rodata_ro: text is RO+X after boot; every byte of it mapped so.
      for (long va = stext; Long.compareUnsigned(va, etext) < 0; va += 0x1000) {
        long at = va;
        assertTrue(pt.ranges().stream().anyMatch(m -> m.kernel() && !m.nx() && !m.rw()
            && Long.compareUnsigned(m.start(), at) <= 0 && Long.compareUnsigned(at, m.end() - 1) <= 0),
            () -> String.format("kernel text at 0x%x is not mapped kernel, read-only and executable", at));
      }
    }
  }

  @Test
  void theDirectMapAndTheKernelMapReachTheSameFrame() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      long pa = translate(vmcore, ctx, sym.get("linux_banner")).physical().getAsLong();
      assertEquals(pa, translate(vmcore, ctx, PAGE_OFFSET + pa).physical().getAsLong());
    }
  }

  @Test
  void qemusDumpBeforeThePanicTranslatesTheBannerToTheSameBytes() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      long va = sym.get("linux_banner");
      PagingContext q = RootTableFinder.find(qemu, OptionalLong.empty(), Optional.empty(), 0);
      assertTrue(q.rootSource().startsWith("QEMU note of CPU 0"), q.rootSource());
      long inQemu = translate(qemu, q, va).physical().getAsLong();
      long inVmcore = translate(vmcore, crashedKernelRoot(vmcore), va).physical().getAsLong();
      assertEquals(inQemu, inVmcore);
      assertArrayEquals(read(qemu, inQemu, 128), read(vmcore, inVmcore, 128));
    }
  }

  /**
   * BEFORE is QEMU's dump of the running kernel, AFTER the capture kernel's vmcore of the same
   * boot: the crashed kernel's tables were not rewritten on the way into the capture kernel
   * (machine_kexec switches to its own identity tables, it does not edit the old ones). What may
   * differ is the Accessed/Dirty bits the CPU set while it kept running the old tables.
   */
  @Test
  void verifyPgdFindsTheCrashedKernelsTablesKeptUpToHardwareAccessedDirtyBits() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      PgdVerdict v = PgdVerifier.verify(qemu.physicalMemory(), vmcore.physicalMemory(), ctx);
      assertTrue(v.tablesChecked() > 100, "walked " + v.tablesChecked() + " tables");
      assertTrue(v.unreadableInBefore().isEmpty(), () -> "tables missing from QEMU's dump: " + v.unreadableInBefore());
      long accessedDirty = (1L << 5) | (1L << 6); // SDM 4.8: A is bit 5, D bit 6 of each entry
      for (TableChange t : v.changes()) {
        assertTrue(!t.missing(), () -> "table missing from the vmcore: " + v.toText());
        for (EntryChange e : t.entries()) {
          assertEquals(0, (e.oldValue() ^ e.newValue()) & ~accessedDirty, () -> "a software change: " + v.toText());
        }
      }
    }
  }

  @Test
  void drgnReadsTheSameBytesAtTheSameVirtualAddresses() throws Exception {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn not installed: skipping the drgn cross-check");
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      long banner = sym.get("linux_banner");
      for (long va : new long[] {banner, PAGE_OFFSET + translate(vmcore, ctx, banner).physical().getAsLong() + 0x40, sym.get("_stext")}) {
        String hex = ExternalOracles.python3(
            "import drgn,sys\np=drgn.Program(); p.set_core_dump(sys.argv[1])\nprint(p.read(int(sys.argv[2],0), 64).hex())",
            real.vmcore().toString(), "0x" + Long.toHexString(va));
        byte[] ours = read(vmcore, translate(vmcore, ctx, va).physical().getAsLong(), 64);
        assertEquals(HexFormat.of().formatHex(ours), hex.trim(), String.format("64 bytes at 0x%x", va));
      }
    }
  }

  @Test
  void libkdumpfileTranslatesKernelAddressesToTheSamePhysicalAddresses() throws Exception {
    assumeTrue(ExternalOracles.python3Module("kdumpfile"), "python3-libkdumpfile not installed: skipping the libkdumpfile cross-check");
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      for (String name : List.of("linux_banner", "init_top_pgt", "init_uts_ns", "_stext")) {
        long va = sym.get(name);
        String pa = ExternalOracles.python3("""
            import kdumpfile, addrxlat, sys
            k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
            a = addrxlat.FullAddress(addrxlat.KVADDR, int(sys.argv[2], 0))
            a.conv(addrxlat.MACHPHYSADDR, k.get_addrxlat_ctx(), k.get_addrxlat_sys())
            print(hex(a.addr))""", real.vmcore().toString(), "0x" + Long.toHexString(va));
        assertEquals(translate(vmcore, ctx, va).physical().getAsLong(), Long.decode(pa.trim()), name);
      }
    }
  }
}
