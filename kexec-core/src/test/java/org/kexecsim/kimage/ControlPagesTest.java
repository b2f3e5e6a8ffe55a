package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.kimage.TestHosts.MIB;
import static org.kexecsim.kimage.TestHosts.seg;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ControlPagesTest {

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void normalControlPagesLieBelowTheLimitAndClearOfEveryDestination(long seed) {
    // i386 with 4 GiB: TASK_SIZE (3 GiB) and lowmem (896 MiB) both cut the allocator's range
    KexecHost host = TestHosts.host(Arch.I386, 4096 * MIB, null, seed);
    SplittableRandom r = new SplittableRandom(seed);
    long a = (16 + r.nextInt(200)) * MIB;
    List<Segment> segments = List.of(seg(a, 300 * MIB), seg(a + 400 * MIB, 100 * MIB));
    KImage image = KImage.allocate(host, ImageType.NORMAL, a, segments);
    for (int i = 0; i < 20; i++) {
      image.allocateControlPages(1);
    }
    for (long pa : image.controlPages()) {
      assertTrue(pa + 4096 <= Arch.I386.controlMemoryLimit() && pa < Arch.I386.lowmemLimit(), "seed " + seed);
      assertFalse(image.isDestinationRange(pa, pa + 4095), String.format("seed %d: 0x%x is a destination", seed, pa));
    }
    assertTrue(image.swapPage().isPresent(), "a normal image gets a swap page");
  }

  @Test
  void crashControlPagesAreFirstFitInTheRegionSkippingSegments() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 64 * MIB);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 9);
    KImage image = KImage.allocate(host, ImageType.CRASH, 64 * MIB,
        List.of(seg(64 * MIB, 0x3000), seg(64 * MIB + 0x5000, 0x1000)));
    assertEquals(64 * MIB + 0x3000, image.controlCodePage(), "first hole after segment 0");
    assertEquals(64 * MIB + 0x4000, image.allocateControlPages(1));
    assertEquals(64 * MIB + 0x6000, image.allocateControlPages(1), "segment 1 is stepped over");
    assertEquals(64 * MIB + 0x8000, image.allocateControlPages(2), "a 2-page block is 8 KiB aligned");
    assertTrue(image.swapPage().isEmpty(), "crash images have no swap page");
  }

  @Test
  void aCrashImageKeepsAVmcoreinfoCopyInTheRegion() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 64 * MIB);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 9);
    KImage image = KImage.allocate(host, ImageType.CRASH, 64 * MIB, List.of(seg(64 * MIB, 0x3000)));
    byte[] data = "OSRELEASE=6.16.0\nPAGESIZE=4096\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    long pa = image.crashCopyVmcoreinfo(data);
    assertTrue(crash.contains(pa) && pa != image.controlCodePage());
    byte[] back = new byte[data.length];
    host.memory().read(pa, back, 0, back.length);
    org.junit.jupiter.api.Assertions.assertArrayEquals(data, back);
  }

  @Test
  void aFullCrashRegionIsEnomem() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 0x4000);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 9);
    KImage image = KImage.allocate(host, ImageType.CRASH, 64 * MIB, List.of(seg(64 * MIB, 0x3000)));
    KexecException e = assertThrows(KexecException.class, () -> image.allocateControlPages(1));
    assertEquals(Errno.ENOMEM, e.errno());
  }
}
