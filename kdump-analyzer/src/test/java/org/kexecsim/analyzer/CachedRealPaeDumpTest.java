package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.ReservedBitFinding;

/**
 * A real i386 PAE guest (Debian's 686-pae kernel under qemu-system-i386 TCG that panicked into
 * its capture kernel), when scripts/real-kdump.sh has left it in /var/cache/kexec-sim/dumps
 * (KSIM_DUMPS overrides the place). QEMU's walker set A in the PDPTEs the guest used, which every
 * command refused before; now linux_banner reads through both QEMU's dump and the vmcore, and
 * the bit is a finding. Skipped, with the reason, when no such dump is cached; the synthetic
 * {@link QemuPaePdpteTest} checks the same rule everywhere.
 */
class CachedRealPaeDumpTest {

  static Optional<Path> cachedPaeDump() throws IOException {
    Path root = Path.of(System.getenv().getOrDefault("KSIM_DUMPS", "/var/cache/kexec-sim/dumps"));
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> kernels = Files.list(root)) {
      return kernels.map(k -> k.resolve("pae"))
          .filter(d -> Files.isRegularFile(d.resolve("COMPLETE")) && Files.isReadable(d.resolve("qemu.elf"))
              && Files.isReadable(d.resolve("vmcore")) && Files.isReadable(d.resolve("symbols.txt")))
          .max(Comparator.comparing(d -> d.resolve("COMPLETE").toFile().lastModified()));
    }
  }

  static long symbol(Path dir, String name) throws IOException {
    for (String line : Files.readAllLines(dir.resolve("symbols.txt"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 3 && f[2].equals(name)) {
        return Long.parseUnsignedLong(f[0], 16);
      }
    }
    throw new AssertionError(name + " not in " + dir.resolve("symbols.txt"));
  }

  @Test
  void linuxBannerOfARealPaeGuestReadsThroughPdptesQemuMarkedAccessed() throws Exception {
    Optional<Path> found = cachedPaeDump();
    assumeTrue(found.isPresent(), "no real PAE dump cached (scripts/real-kdump.sh pae makes one): skipping");
    Path dir = found.get();
    long banner = symbol(dir, "linux_banner");
    for (String file : List.of("qemu.elf", "vmcore")) {
      try (Dump dump = ElfCoreReader.open(dir.resolve(file))) {
        PagingContext ctx = RootTableFinder.find(dump, OptionalLong.empty(), Optional.empty(), 0);
        assertEquals(PagingMode.PAE, ctx.mode(), file);
        VtopResult r = Vtop.translate(dump.physicalMemory(), ctx, List.of(banner)).results().getFirst();
        assertTrue(r.isMapped(), () -> file + ": " + r.fault().orElse(""));
        byte[] text = new byte[64];
        dump.physicalMemory().read(r.physical().getAsLong(), text, 0, text.length);
        assertTrue(new String(text, StandardCharsets.US_ASCII).startsWith("Linux version "), file);

        List<ReservedBitFinding> pdptes = ctx.rootFindings();
        assertFalse(pdptes.isEmpty(), file + ": QEMU TCG leaves A in the PDPTEs it walked");
        assertTrue(pdptes.stream().allMatch(f -> f.bits() == 0x20 && f.paePdpte()), pdptes::toString);
      }
    }
    try (Dump vmcore = ElfCoreReader.open(dir.resolve("vmcore"))) {
      PagingContext kernel = RootTableFinder.kernelRoot(vmcore, vmcore.vmcoreInfo(), Optional.empty()).orElseThrow();
      assertEquals(symbol(dir, "swapper_pg_dir") - RootTableFinder.PAGE_OFFSET_I386, kernel.root());
      PgdVerdict alone = PgdVerifier.inspect(vmcore.physicalMemory(), kernel, "kernel", vmcore.vmcoreInfo(),
          OptionalLong.of(kernel.root()));
      assertTrue(alone.preserved(), alone.toText());
    }
  }
}
