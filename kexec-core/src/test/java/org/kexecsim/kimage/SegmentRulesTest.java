package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.kimage.TestHosts.MIB;
import static org.kexecsim.kimage.TestHosts.normal;
import static org.kexecsim.kimage.TestHosts.seg;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One test per check of kexec_load_check / kimage_alloc_init / sanity_check_segment_list. */
class SegmentRulesTest {

  private static Errno refusal(KexecHost host, ImageType type, long entry, List<Segment> segments) {
    return assertThrows(KexecException.class, () -> KImage.allocate(host, type, entry, segments)).errno();
  }

  private static Errno refusal(KexecHost host, List<Segment> segments) {
    return refusal(host, ImageType.NORMAL, 16 * MIB, segments);
  }

  @Test
  void moreThanSixteenSegmentsIsEinval() {
    List<Segment> segments = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      segments.add(seg(16 * MIB + i * 0x10000L, 0x1000));
    }
    assertEquals(Errno.EINVAL, refusal(normal(Arch.X86_64, 256 * MIB), segments));
    assertDoesNotThrow(() -> KImage.allocate(normal(Arch.X86_64, 256 * MIB), ImageType.NORMAL, 16 * MIB,
        segments.subList(0, 16)));
  }

  @Test
  void unalignedStartIsEaddrnotavail() {
    assertEquals(Errno.EADDRNOTAVAIL, refusal(normal(Arch.X86_64, 256 * MIB), List.of(seg(16 * MIB + 0x800, 0x1000))));
  }

  @Test
  void unalignedEndIsEaddrnotavail() {
    KexecException e = assertThrows(KexecException.class,
        () -> KImage.allocate(normal(Arch.I386, 256 * MIB), ImageType.NORMAL, 0, List.of(seg(16 * MIB, 0x1800))));
    assertEquals(Errno.EADDRNOTAVAIL, e.errno());
    assertTrue(e.getMessage().contains("segment 0"), e.getMessage());
  }

  @Test
  void startAfterEndIsEaddrnotavailWhereUnsignedLongWraps() {
    // i386: mem + memsz is computed in 32 bits, 0xfffff000 + 0x2000 wraps to 0x1000.
    assertEquals(Errno.EADDRNOTAVAIL, refusal(normal(Arch.I386, 256 * MIB), List.of(seg(0xFFFF_F000L, 0x2000))));
  }

  @Test
  void endReachingTheDestinationLimitIsEaddrnotavail() {
    long limit = Arch.X86_64.destinationMemoryLimit(); // MAXMEM - 1
    long mem = ((limit + 1) & ~0xFFFL) - 0x1000; // ends exactly at MAXMEM, which is >= MAXMEM - 1
    assertEquals(Errno.EADDRNOTAVAIL, refusal(normal(Arch.X86_64, 256 * MIB), List.of(seg(mem, 0x1000))));
    assertDoesNotThrow(() -> KImage.allocate(normal(Arch.X86_64, 256 * MIB), ImageType.NORMAL, 0,
        List.of(seg(mem - 0x1000, 0x1000))), "one page lower ends below the limit");
  }

  @Test
  void overlappingSegmentsAreEinval() {
    KexecException e = assertThrows(KexecException.class, () -> KImage.allocate(normal(Arch.X86_64, 256 * MIB),
        ImageType.NORMAL, 0, List.of(seg(16 * MIB, 0x3000), seg(16 * MIB + 0x2000, 0x1000))));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("segment 1") && e.getMessage().contains("segment 0"), e.getMessage());
  }

  @Test
  void touchingSegmentsDoNotOverlap() {
    assertDoesNotThrow(() -> KImage.allocate(normal(Arch.X86_64, 256 * MIB), ImageType.NORMAL, 0,
        List.of(seg(16 * MIB, 0x2000), seg(16 * MIB + 0x2000, 0x1000))));
  }

  @Test
  void alignmentIsCheckedBeforeOverlap() {
    // both rules broken: the destination loop runs first, as in sanity_check_segment_list
    assertEquals(Errno.EADDRNOTAVAIL, refusal(normal(Arch.X86_64, 256 * MIB),
        List.of(seg(16 * MIB, 0x3000), seg(16 * MIB + 0x2000, 0x1800))));
  }

  @Test
  void bufszLargerThanMemszIsEinval() {
    Segment big = new Segment(new byte[0x1001], 16 * MIB, 0x1000);
    assertEquals(Errno.EINVAL, refusal(normal(Arch.X86_64, 256 * MIB), List.of(big)));
  }

  @Test
  void oneSegmentOverHalfOfRamIsEinval() {
    assertEquals(Errno.EINVAL, refusal(normal(Arch.X86_64, 256 * MIB), List.of(seg(0, 128 * MIB + 0x1000))));
    assertDoesNotThrow(() -> KImage.allocate(normal(Arch.X86_64, 256 * MIB), ImageType.NORMAL, 0,
        List.of(seg(0, 128 * MIB))), "exactly half is allowed");
  }

  @Test
  void segmentsTogetherOverHalfOfRamAreEinval() {
    KexecException e = assertThrows(KexecException.class, () -> KImage.allocate(normal(Arch.X86_64, 256 * MIB),
        ImageType.NORMAL, 0, List.of(seg(0, 100 * MIB), seg(128 * MIB, 40 * MIB))));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("in all"), e.getMessage());
  }

  @Test
  void crashEntryOutsideTheRegionIsEaddrnotavail() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 64 * MIB);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 3);
    assertEquals(Errno.EADDRNOTAVAIL, refusal(host, ImageType.CRASH, 32 * MIB, List.of(seg(64 * MIB, 0x1000))));
  }

  @Test
  void crashSegmentOutsideTheRegionIsEaddrnotavail() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 64 * MIB);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 3);
    // the last byte 128M is one past crashk_res.end
    KexecException e = assertThrows(KexecException.class, () -> KImage.allocate(host, ImageType.CRASH, 64 * MIB,
        List.of(seg(64 * MIB, 0x1000), seg(128 * MIB - 0x1000, 0x2000))));
    assertEquals(Errno.EADDRNOTAVAIL, e.errno());
    assertTrue(e.getMessage().contains("segment 1"), e.getMessage());
    assertDoesNotThrow(() -> KImage.allocate(TestHosts.host(Arch.X86_64, 256 * MIB, crash, 3), ImageType.CRASH,
        64 * MIB, List.of(seg(128 * MIB - 0x1000, 0x1000))), "the last page of the region is inside");
  }

  @Test
  void crashImageWithoutARegionIsEaddrnotavail() {
    assertEquals(Errno.EADDRNOTAVAIL, refusal(normal(Arch.X86_64, 256 * MIB), ImageType.CRASH, 64 * MIB,
        List.of(seg(64 * MIB, 0x1000))));
  }
}
