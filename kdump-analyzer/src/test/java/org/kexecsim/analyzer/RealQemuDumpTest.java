package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.mmu.PagingMode;

/**
 * A real guest: boots Debian's x86_64 kernel under qemu-system-x86_64 (TCG, nokaslr) with a
 * busybox initramfs, dumps it with dump-guest-memory (scripts/real-qemu-dump.sh), then finds
 * the page tables through the CR3 in QEMU's CPU note and reads linux_banner through them.
 * Skipped, with the reason, when qemu, a Debian kernel or busybox is not installed.
 */
class RealQemuDumpTest {
  static final Path SCRIPT = Path.of("..", "scripts", "real-qemu-dump.sh");
  static final Path OUT = Path.of("target", "real-dump");

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  /** KSIM_KERNEL (a kernel .ci/run unpacked from Debian's package), or an installed one. */
  static boolean debianKernel() throws IOException {
    String unpacked = System.getenv("KSIM_KERNEL");
    if (unpacked != null && !unpacked.isEmpty()) {
      return Files.isReadable(Path.of(unpacked));
    }
    try (var files = Files.list(Path.of("/boot"))) {
      return files.anyMatch(p -> p.getFileName().toString().matches("vmlinuz-.*-amd64") && Files.isReadable(p));
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  @Test
  void linuxBannerOfABootedKernelReadsThroughTheCr3OfQemusNote() throws Exception {
    assumeTrue(onPath("qemu-system-x86_64") && onPath("busybox") && onPath("cpio") && debianKernel(),
        "needs qemu-system-x86, busybox-static, cpio and Debian's kernel (KSIM_KERNEL, see .ci/run): skipping the real-dump test");
    Process p = new ProcessBuilder("bash", SCRIPT.toString(), OUT.toString()).redirectErrorStream(true)
        .redirectOutput(OUT.resolveSibling("real-dump.log").toFile()).start();
    if (!p.waitFor(900, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly); // QEMU must not outlive the test
      p.destroyForcibly();
      throw new AssertionError("real-qemu-dump.sh did not finish in 900 s:\n" + read(OUT.resolveSibling("real-dump.log")));
    }
    assertEquals(0, p.exitValue(), () -> "real-qemu-dump.sh failed:\n" + read(OUT.resolveSibling("real-dump.log")));

    Map<String, Long> symbols = new HashMap<>();
    for (String line : Files.readAllLines(OUT.resolve("symbols.txt"))) {
      String[] f = line.trim().split("\\s+");
      symbols.put(f[2], Long.parseUnsignedLong(f[0], 16));
    }
    try (Dump dump = ElfCoreReader.open(OUT.resolve("vmcore.elf"))) {
      PagingContext ctx = RootTableFinder.find(dump, OptionalLong.empty(), Optional.empty(), 0);
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

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(no log)";
    }
  }
}
