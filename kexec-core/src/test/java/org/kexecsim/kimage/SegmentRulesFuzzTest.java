package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * kexec_load's checks over any segments, on any small machine. Rule: the image is accepted, or
 * refused with {@link KexecException} (the kernel's errno) or {@link ImpossibleLayoutException}
 * (values that do not fit the arch's unsigned long); an accepted normal image loads, and the
 * indirection list it wrote copies exactly the segments' pages, in order (or, for destinations
 * beyond RAM, which the kernel accepts, is refused by the list reader).
 */
class SegmentRulesFuzzTest {

  private static final long MIB = 1L << 20;
  private static final Arch[] ARCHES = Arch.values();

  @FuzzTest(maxDuration = "60s")
  void anySegmentsAreAcceptedOrRefusedWithTheKernelsErrno(FuzzedDataProvider data) {
    Arch arch = data.pickValue(ARCHES);
    long ram = MIB * data.consumeInt(2, 64);
    PhysicalRange crash = null;
    if (data.consumeBoolean()) {
      long start = MIB * data.consumeInt(1, (int) (ram / MIB) - 1);
      crash = new PhysicalRange(start, MIB * data.consumeInt(1, (int) ((ram - start) / MIB)));
    }
    KexecHost host = TestHosts.host(arch, ram, crash, data.consumeLong());
    ImageType type = crash != null && data.consumeBoolean() ? ImageType.CRASH : ImageType.NORMAL;
    long entry = data.consumeBoolean() ? data.consumeLong() : (crash != null ? crash.start() : 16 * MIB);
    List<Segment> segments = new ArrayList<>();
    int count = data.consumeInt(0, 18);
    for (int i = 0; i < count; i++) {
      long mem = data.consumeBoolean() ? data.consumeLong() : 0x1000L * data.consumeInt(0, (int) (ram >>> 12));
      long memsz = data.consumeBoolean() ? data.consumeLong() : 0x1000L * data.consumeInt(0, 2048);
      segments.add(new Segment(data.consumeBytes(data.consumeInt(0, 8192)), mem, memsz));
    }

    KImage image;
    try {
      image = KImage.allocate(host, type, entry, segments);
      image.loadSegments(); // may run out of source pages: ENOMEM, as kimage_alloc_page does
    } catch (KexecException | ImpossibleLayoutException e) {
      assertTrue(e.getMessage().length() > 0);
      return;
    }
    if (type != ImageType.NORMAL) {
      return;
    }
    List<Long> expected = new ArrayList<>();
    for (Segment s : segments) {
      for (long offset = 0; offset < s.memsz(); offset += 4096) {
        expected.add(s.mem() + offset);
      }
    }
    boolean destinationsInRam = segments.stream()
        .allMatch(s -> s.memsz() == 0 || host.memory().ramMap().containsRange(s.mem(), s.memsz()));
    if (!destinationsInRam) {
      // kexec_load bounds destinations by KEXEC_DESTINATION_MEMORY_LIMIT, not by RAM; the copy
      // relocate_kernel would make into nothing is what the list reader refuses
      CorruptIndirectionListException e = assertThrows(CorruptIndirectionListException.class,
          () -> IndirectionWalk.read(host.memory(), image.head(), arch.longBytes()));
      assertTrue(e.getMessage().contains("outside RAM"), e.getMessage());
      return;
    }
    IndirectionWalk walk = IndirectionWalk.read(host.memory(), image.head(), arch.longBytes());
    assertEquals(expected, walk.copies().stream().map(IndirectionWalk.PageCopy::destination).toList());
  }

  /** crashkernel= parsing and reservation: a region, none, or the kernel's EINVAL/ENOMEM. */
  @FuzzTest(maxDuration = "60s")
  void anyCrashkernelValueParsesOrIsRefused(FuzzedDataProvider data) {
    Arch arch = data.pickValue(ARCHES);
    long ram = data.consumeLong(1, 1L << 46);
    String value = data.consumeRemainingAsAsciiString();
    CrashKernelSpec spec;
    Optional<CrashRegion> region;
    try {
      spec = CrashKernelSpec.parse(value, ram);
      region = CrashRegion.reserve(spec, RamMap.of(RamRange.usable(0, ram)), arch, List.of());
    } catch (KexecException e) {
      assertTrue(e.getMessage().startsWith(e.errno().name() + ": "), e.getMessage());
      return;
    }
    region.ifPresent(r -> assertTrue(Long.compareUnsigned(r.end(), ram) < 0, () -> r + " beyond RAM of " + ram));
  }
}
