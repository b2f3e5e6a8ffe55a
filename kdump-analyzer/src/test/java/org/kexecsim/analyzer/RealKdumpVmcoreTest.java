package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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
  final RealDumps.Set real = dumps();
  /** Runtime addresses, from the guest's /proc/kallsyms. */
  final Map<String, Long> sym = real.symbols();

  /** The guest under test; {@link RealKdumpVmcoreKaslrTest} runs the same rules with KASLR on. */
  RealDumps.Set dumps() {
    return RealDumps.x86_64();
  }

  /**
   * The direct map's base, read from the crashed kernel's page_offset_base (arch/x86/kernel/head64.c;
   * randomized with KASLR, 0xffff888000000000 without), found via System.map + VMCOREINFO KERNELOFFSET.
   */
  long pageOffset(Dump vmcore, PagingContext ctx) {
    long link = real.systemMapSymbols().get("page_offset_base");
    long kaslr = vmcore.vmcoreInfo().orElseThrow().kernelOffset().orElse(0);
    return vmcore.physicalMemory().readU64(translate(vmcore, ctx, link + kaslr).physical().getAsLong());
  }

  static PagingContext crashedKernelRoot(Dump vmcore) {
    return RootTableFinder.find(vmcore);
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
      assertTextMappedReadOnlyExecutable(pt, stext, etext);
    }
  }

  /** Every page of [stext, etext) lies in a kernel range of {@code pt} that is read-only and executable. */
  static void assertTextMappedReadOnlyExecutable(PtDumpReport pt, long stext, long etext) {
    for (long va = stext; Long.compareUnsigned(va, etext) < 0; va += 0x1000) {
      long at = va;
      assertTrue(pt.ranges().stream().anyMatch(m -> m.kernel() && !m.nx() && !m.rw()
          && Long.compareUnsigned(m.start(), at) <= 0 && Long.compareUnsigned(at, m.end() - 1) <= 0),
          () -> String.format("kernel text at 0x%x is not mapped kernel, read-only and executable", at));
    }
  }

  @Test
  void theDirectMapAndTheKernelMapReachTheSameFrame() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      long pa = translate(vmcore, ctx, sym.get("linux_banner")).physical().getAsLong();
      long pageOffset = pageOffset(vmcore, ctx);
      assertEquals(0, pageOffset & ((1L << 30) - 1), () -> "page_offset_base 0x" + Long.toHexString(pageOffset) + " is not 1 GiB aligned");
      assertEquals(pa, translate(vmcore, ctx, pageOffset + pa).physical().getAsLong());
    }
  }

  @Test
  void qemusDumpBeforeThePanicTranslatesTheBannerToTheSameBytes() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      long va = sym.get("linux_banner");
      PagingContext q = RootTableFinder.find(qemu);
      assertTrue(q.rootSource().startsWith("QEMU note of CPU 0"), q.rootSource());
      long inQemu = translate(qemu, q, va).physical().getAsLong();
      long inVmcore = translate(vmcore, crashedKernelRoot(vmcore), va).physical().getAsLong();
      assertEquals(inQemu, inVmcore);
      assertArrayEquals(read(qemu, inQemu, 128), read(vmcore, inVmcore, 128));
    }
  }

  /**
   * BEFORE is QEMU's dump of the running kernel, AFTER the capture kernel's vmcore of the same
   * boot. The kernel kept running between the two (it freed vmalloc'd stacks, for one), so tables
   * may differ; but machine_kexec switches to its own identity tables rather than editing the old
   * ones (arch/x86/kernel/machine_kexec_64.c), so the root table and every translation of the
   * kernel text are the same in both, up to Accessed/Dirty bits the CPU set while walking them.
   */
  @Test
  void verifyPgdFindsTheRootAndTheKernelTextKeptUpToHardwareAccessedDirtyBits() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore()); Dump qemu = ElfCoreReader.open(real.qemuElf())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      PgdVerdict v = PgdVerifier.verify(qemu.physicalMemory(), vmcore.physicalMemory(), ctx);
      assertTrue(v.tablesChecked() > 100, "walked " + v.tablesChecked() + " tables");
      assertTrue(v.unreadableInBefore().isEmpty(), () -> "tables missing from QEMU's dump: " + v.unreadableInBefore());
      assertKeptUpToAccessedDirty(v, ctx.root(), sym.get("_stext"), sym.get("_etext"));
    }
  }

  /** No change to the root table, nor to an entry covering [textStart, textEnd), but A/D bits (SDM 4.8). */
  static void assertKeptUpToAccessedDirty(PgdVerdict v, long root, long textStart, long textEnd) {
    long accessedDirty = (1L << 5) | (1L << 6);
    for (TableChange t : v.changes()) {
      for (EntryChange e : t.entries()) {
        boolean coversText = Long.compareUnsigned(e.linear(), textEnd) < 0
            && Long.compareUnsigned(textStart, e.linear() + e.size()) < 0;
        if (t.physical() == root || coversText) {
          assertTrue(!t.missing(), () -> "table missing from the vmcore: " + v.toText());
          assertEquals(0, (e.oldValue() ^ e.newValue()) & ~accessedDirty, () -> "a software change: " + v.toText());
        }
      }
    }
    // The verdict lists the first MAX_REPORTED changed tables only; beyond that nothing can be said.
    assertTrue(v.changedTables() <= PgdVerifier.MAX_REPORTED, () -> "too many changed tables to check: " + v.toText());
  }

  @Test
  void drgnReadsTheSameBytesAtTheSameVirtualAddresses() throws Exception {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn not installed: skipping the drgn cross-check");
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      PagingContext ctx = crashedKernelRoot(vmcore);
      long banner = sym.get("linux_banner");
      long direct = pageOffset(vmcore, ctx) + translate(vmcore, ctx, banner).physical().getAsLong() + 0x40;
      for (long va : new long[] {banner, direct, sym.get("_stext")}) {
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
        // libkdumpfile 0.5.1's Python binding fails inside conv() when the translation needs a
        // page-table read through its own callbacks ("'Context' object has no attribute
        // 'cb_read_caps'"; some KASLR layouts); its read() still translates, so then the check is
        // on the 64 bytes it reads at the VA against the bytes at our physical address.
        String answer = ExternalOracles.python3("""
            import kdumpfile, addrxlat, sys
            k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
            va = int(sys.argv[2], 0)
            a = addrxlat.FullAddress(addrxlat.KVADDR, va)
            try:
                a.conv(addrxlat.MACHPHYSADDR, k.get_addrxlat_ctx(), k.get_addrxlat_sys())
                print(hex(a.addr))
            except SystemError:
                print("read:" + bytes(k.read(addrxlat.KVADDR, va, 64)).hex())""", real.vmcore().toString(), "0x" + Long.toHexString(va));
        long ours = translate(vmcore, ctx, va).physical().getAsLong();
        if (answer.trim().startsWith("read:")) {
          byte[] at = new byte[64];
          vmcore.physicalMemory().read(ours, at, 0, at.length);
          assertEquals(answer.trim().substring(5), java.util.HexFormat.of().formatHex(at), name + ": the bytes libkdumpfile reads at the VA");
        } else {
          assertEquals(ours, Long.decode(answer.trim()), name);
        }
      }
    }
  }
}
