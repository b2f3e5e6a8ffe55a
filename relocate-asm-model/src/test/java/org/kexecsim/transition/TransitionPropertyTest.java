package org.kexecsim.transition;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.NewKernelSegments;
import org.kexecsim.kimage.Segment;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.pagetable.RootCheck;

/**
 * Seeded-random scenarios (RAM maps with holes, crash regions with and without a fixed base,
 * normal and crash images, control pages where the allocator or the test puts them), each run
 * through every design. The seed is in every failure message; rerun one with
 * -Dkexecsim.seed=N.
 */
class TransitionPropertyTest {
  private static final long MIB = 1L << 20;

  static LongStream seeds() {
    String one = System.getProperty("kexecsim.seed");
    if (one != null) {
      return LongStream.of(Long.parseLong(one));
    }
    long base = new SplittableRandom(20060524).nextLong();
    return LongStream.range(0, 24).map(i -> base + i * 0x9E37_79B9_7F4A_7C15L);
  }

  /** A machine, a crashkernel= value and an image type drawn from {@code seed}. */
  record Scenario(Arch arch, RamMap ram, String crashkernel, ImageType type, long seed) {
    PrepareRequest request(TransitionDesign design) {
      return new PrepareRequest(arch, design, ram, Optional.of(crashkernel), type, seed,
          java.util.OptionalLong.empty(), java.util.OptionalLong.empty());
    }

    @Override
    public String toString() {
      return String.format("seed %d: %s, RAM %s, crashkernel=%s, %s image", seed, arch.cliName(), ram, crashkernel,
          type.cliName());
    }
  }

  static Scenario scenario(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Arch arch = Arch.values()[r.nextInt(3)];
    long maxFirst = arch == Arch.X86_64 ? 8192 : 3072;
    long first = (256 + r.nextLong(maxFirst - 256)) * MIB & -(16 * MIB);
    List<RamRange> ranges = new ArrayList<>();
    ranges.add(RamRange.usable(0, first));
    if (r.nextBoolean()) {
      long hole = (1 + r.nextInt(64)) * MIB;
      ranges.add(RamRange.reserved(first, hole));
      long high = first + hole + r.nextInt(4) * 256 * MIB;
      ranges.add(RamRange.usable(high, (64 + r.nextInt(1024)) * MIB));
    }
    long lowMax = arch == Arch.X86_64 ? first : Math.min(first, 512 * MIB);
    long crashSize = (32 + r.nextInt((int) (lowMax / MIB / 4) - 31)) * MIB & -(4 * MIB);
    String crash = ByteSize.format(crashSize);
    if (r.nextInt(3) == 0) {
      // a fixed base: 16 MiB-aligned, above the kernel image and its early tables
      long slots = (lowMax - crashSize - 96 * MIB) / (16 * MIB);
      if (slots > 0) {
        crash += "@" + ByteSize.format(96 * MIB + r.nextLong(slots) * 16 * MIB);
      }
    }
    return new Scenario(arch, RamMap.of(ranges), crash, r.nextBoolean() ? ImageType.CRASH : ImageType.NORMAL, seed);
  }

  /**
   * A free page below the control limit that is no destination, for a normal image; the
   * allocator's choice otherwise.
   */
  static PrepareRequest placeControlPage(Scenario s, PrepareRequest request, long seed) {
    SplittableRandom r = new SplittableRandom(seed ^ 0xC0DE);
    if (r.nextBoolean()) {
      return request;
    }
    CrashedKernel k = KernelBoot.boot(s.arch(), s.ram(), Optional.of(s.crashkernel()), s.seed());
    if (s.type() == ImageType.CRASH) {
      // somewhere in the crash region, clear of the segments, 8 KiB aligned
      var region = k.crashRegion().orElseThrow();
      List<Segment> segs = NewKernelSegments.crash(region, s.seed()).segments();
      for (int i = 0; i < 64; i++) {
        long pa = (region.start() + r.nextLong(region.size() - 0x2000)) & ~0x1FFFL;
        if (segs.stream().noneMatch(g -> pa + 0x1FFF >= g.mem() && pa < g.mem() + g.memsz())) {
          return request.withControlPage(pa);
        }
      }
      return request;
    }
    List<Segment> segs = NewKernelSegments.normal(s.ram(), s.seed()).segments();
    long limit = Math.min(s.ram().ranges().getFirst().end(), s.arch().is64Bit() ? Long.MAX_VALUE : s.arch().lowmemLimit());
    for (int i = 0; i < 64; i++) {
      // 8 KiB aligned and both pages free: the legacy x86_64 design takes a two-page block
      long pa = (32 * MIB + r.nextLong(limit - 32 * MIB)) & ~0x1FFFL;
      boolean destination = segs.stream().anyMatch(g -> pa + 0x1FFF >= g.mem() && pa < g.mem() + g.memsz());
      boolean crash = k.crashRegion().map(c -> c.contains(pa) || c.contains(pa + 0x1000)).orElse(false);
      if (!destination && !crash && !k.memory().mayBeNonZero(pa) && !k.memory().mayBeNonZero(pa + 0x1000)) {
        return request.withControlPage(pa);
      }
    }
    return request;
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyDesignButLegacyLeavesTheOldTablesAloneAndMapsTheControlPageTwice(long seed) {
    Scenario s = scenario(seed);
    for (TransitionDesign d : TransitionDesign.all()) {
      PrepareReport report = Preparation.run(placeControlPage(s, s.request(d), seed));
      String why = s + ", design " + d.cliName() + "\n" + report.toText();
      assertTrue(report.controlPageExecutableAtBothAddresses(), why);
      assertTrue(report.sourcesRespectDestinations(), why);
      if (d == LegacyDesign.INSTANCE) {
        assertTrue(report.wroteOldCr3(), "legacy must change the pgd CR3 points at: " + why);
        assertTrue(report.conflicts().stream().anyMatch(c -> c.kind() == Conflict.Kind.OVERWROTE_LIVE_TABLE), why);
      } else {
        assertFalse(report.wroteOldCr3(), why);
        assertTrue(report.otherRoots().stream().allMatch(RootCheck::preserved), why);
        assertFalse(report.conflicts().stream().anyMatch(c -> c.kind() == Conflict.Kind.OVERWROTE_LIVE_TABLE), why);
      }
    }
  }
}
