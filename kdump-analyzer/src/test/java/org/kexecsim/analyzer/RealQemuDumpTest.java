package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.testing.RealDumps;

/**
 * A real running guest: QEMU's dump-guest-memory of Debian's x86_64 kernel (nokaslr) taken just
 * before it panicked ({@link RealDumps}, scripts/real-kdump.sh). The page tables are found through
 * the CR3 in QEMU's CPU note and read linux_banner. Skipped, with the reason, when qemu, Debian's
 * kernel or busybox is missing.
 */
class RealQemuDumpTest {

  @Test
  void linuxBannerOfABootedKernelReadsThroughTheCr3OfQemusNote() throws Exception {
    RealDumps.Set real = RealDumps.x86_64();
    Map<String, Long> symbols = real.symbols();
    try (Dump dump = ElfCoreReader.open(real.qemuElf())) {
      PagingContext ctx = RootTableFinder.find(dump);
      assertEquals(PagingMode.LEVEL4, ctx.mode());
      assertTrue(ctx.rootSource().startsWith("QEMU note of CPU 0"), ctx.rootSource());

      long banner = symbols.get("linux_banner");
      VtopResult r = Vtop.translate(dump.physicalMemory(), ctx, List.of(banner)).results().getFirst();
      assertTrue(r.isMapped(), () -> r.fault().orElse(""));
      byte[] text = new byte[64];
      dump.physicalMemory().read(r.physical().getAsLong(), text, 0, text.length);
      String s = new String(text, StandardCharsets.US_ASCII);
      assertTrue(s.startsWith("Linux version "), s);

      // nokaslr: the kernel image sits at its link address, so phys_base is 0.
      long pgt = symbols.get("init_top_pgt");
      VtopResult top = Vtop.translate(dump.physicalMemory(), ctx, List.of(pgt)).results().getFirst();
      assertEquals(pgt - RootTableFinder.START_KERNEL_MAP, top.physical().getAsLong());

      PtDumpReport pt = PtDump.dump(dump.physicalMemory(), ctx);
      long stext = symbols.get("_stext");
      assertTrue(pt.ranges().stream().anyMatch(m -> m.kernel() && !m.nx()
          && Long.compareUnsigned(m.start(), stext) <= 0 && Long.compareUnsigned(stext, m.end() - 1) <= 0),
          "kernel text is mapped executable");
      assertTrue(PgdVerifier.verify(dump.physicalMemory(), dump.physicalMemory(), ctx).preserved());
    }
  }
}
