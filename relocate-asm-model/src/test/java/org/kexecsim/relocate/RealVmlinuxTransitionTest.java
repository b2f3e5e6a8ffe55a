package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.routine.CPreprocessor;
import org.kexecsim.routine.RoutineFile;
import org.kexecsim.transition.TransitionDesign;

/**
 * The kernel's own relocate_kernel, taken from Debian 12's vmlinux (linux-image-6.1.0-*-dbg,
 * cached outside the repository by .ci/run), run on the model with the 6.1 calling convention.
 * Skipped, with the reason, when the vmlinux is not there; ElfRoutineTest covers the extraction
 * with ELF files it links itself.
 */
class RealVmlinuxTransitionTest {
  static final Path CACHE = Path.of("/var/cache/kexec-sim/usr/lib/debug/boot");
  /** .ci/run exports where it put them; else the cache's usual names. */
  static final Path AMD64 = Path.of(System.getenv().getOrDefault("KSIM_VMLINUX_X86_64", CACHE.resolve("vmlinux-6.1.0-57-amd64").toString()));
  static final Path PAE = Path.of(System.getenv().getOrDefault("KSIM_VMLINUX_686PAE", CACHE.resolve("vmlinux-6.1.0-57-686-pae").toString()));

  static Path vmlinux(Arch arch) {
    Path p = arch.is64Bit() ? AMD64 : PAE;
    assumeTrue(Files.isReadable(p), () -> p + " is absent (install linux-image-6.1.0-57-*-dbg into /var/cache/kexec-sim, see .ci/run)");
    return p;
  }

  static TransitionResult run(Arch arch, ImageType type, boolean preserve) {
    RelocateRoutine routine = RoutineFile.load(vmlinux(arch), arch.is64Bit() ? 64 : 32, CPreprocessor.Options.NONE);
    TransitionRequest req = TransitionRequest.of(arch, TransitionDesign.fromCliName("mainline"),
        RamMap.ofSize(arch.is64Bit() ? 4L << 30 : 1L << 30), "128M", type, 5).withRoutine(routine);
    return TransitionRunner.run(preserve ? req.withPreserveContext() : req);
  }

  /** The boot protocol's state at the entry; a normal kexec has copied every segment page. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"X86_64, CRASH", "X86_64, NORMAL", "PAE, CRASH", "PAE, NORMAL"})
  void theKernelsOwnRoutineReachesTheEntryAsTheBootProtocolExpects(Arch arch, ImageType type) {
    TransitionResult r = run(arch, type, false);
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> KexecJumpTest.explain(r));
    NewKernelEntry.EntryRecord e = r.entryRecord().orElseThrow();
    assertEquals(arch.is64Bit(), e.pagingOn());
    if (type == ImageType.NORMAL) {
      assertTrue(r.pagesToCopy() > 0);
      assertEquals(r.pagesToCopy(), r.pagesCopiedIntact(), "every segment page copied");
    } else {
      assertTrue(r.oldPgd().preserved(), "kdump leaves the crashed kernel's tables alone");
    }
  }

  /**
   * Kexec jump with the kernel's code: jump, return, jump again, every page verified. On i386
   * without PAE the 686-pae vmlinux's routine serves (relocate_kernel_32.S has no PAE variant;
   * has_pae only decides whether CR4 is cleared).
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.EnumSource(value = Arch.class, names = {"X86_64", "I386"})
  void kexecJumpRoundTrip(Arch arch) {
    TransitionResult r = run(arch, ImageType.NORMAL, true);
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> KexecJumpTest.explain(r));
    TransitionRunner.RoundTrip trip = r.roundTrip().orElseThrow();
    assertTrue(trip.returned() && trip.problems().isEmpty(), () -> KexecJumpTest.explain(r));
    assertEquals(r.pagesToCopy(), trip.destinations());
    assertEquals(r.pagesToCopy(), r.pagesCopiedIntact(), "after the second jump the new kernel's pages are in place again");
  }

  /** The 686-pae kernel's own code fails the way back as KexecJumpTest explains. */
  @org.junit.jupiter.api.Test
  void paeKexecJumpWithTheKernelsCodeFaultsOnTheWayBack() {
    TransitionResult r = run(Arch.PAE, ImageType.NORMAL, true);
    assertEquals(TransitionOutcome.TRIPLE_FAULT, r.outcome(), () -> KexecJumpTest.explain(r));
    assertTrue(r.steps().stream().anyMatch(s -> s.startsWith("reached the new kernel's entry")), "the first jump did reach it");
    assertTrue(!r.roundTrip().orElseThrow().returned());
  }
}
