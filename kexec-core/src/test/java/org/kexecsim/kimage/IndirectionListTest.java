package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.kimage.TestHosts.MIB;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;

class IndirectionListTest {

  private static Segment random(long mem, long memsz, int bufsz, long seed) {
    byte[] b = new byte[bufsz];
    new SplittableRandom(seed).nextBytes(b);
    return new Segment(b, mem, memsz);
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void eachIndirectionPageHoldsItsDataEntriesThenALink(Arch arch) {
    int perPage = 4096 / arch.longBytes() - 1; // 511 on x86_64, 1023 on i386
    KexecHost host = TestHosts.normal(arch, 512 * MIB);
    // one DESTINATION + N SOURCE entries: enough to spill into a second page
    long pages = perPage + 10;
    KImage image = KImage.allocate(host, ImageType.NORMAL, 16 * MIB, List.of(Segment.zeroFilled(16 * MIB, pages * 4096)));
    image.loadSegments();
    PhysicalMemory m = host.memory();
    List<Long> ind = image.indirectionList().indirectionPages();
    assertEquals(2, ind.size());
    assertEquals(ind.getFirst() | IndirectionEntry.INDIRECTION, image.head());
    int w = arch.longBytes();
    long first = ind.getFirst();
    assertEquals(16 * MIB | IndirectionEntry.DESTINATION, read(m, first, w));
    assertEquals(IndirectionEntry.SOURCE, read(m, first + w, w) & 0xFFF);
    long link = read(m, first + (long) perPage * w, w);
    assertEquals(ind.get(1) | IndirectionEntry.INDIRECTION, link, "slot " + perPage + " links on");
    // pages + 1 data entries: perPage in the first page, the rest then DONE in the second
    long rest = pages + 1 - perPage;
    assertEquals(IndirectionEntry.DONE, read(m, ind.get(1) + rest * w, w));
  }

  private static long read(PhysicalMemory m, long pa, int w) {
    return w == 8 ? m.readU64(pa) : m.readU32(pa);
  }

  @Test
  void aCrashImagesListIsJustDone() {
    PhysicalRange crash = new PhysicalRange(64 * MIB, 64 * MIB);
    KexecHost host = TestHosts.host(Arch.X86_64, 256 * MIB, crash, 5);
    KImage image = KImage.allocate(host, ImageType.CRASH, 64 * MIB, List.of(random(64 * MIB, 0x3000, 0x2100, 1)));
    image.loadSegments();
    assertEquals(IndirectionEntry.DONE, image.head());
    byte[] loaded = new byte[0x2100];
    host.memory().read(64 * MIB, loaded, 0, loaded.length);
    assertArrayEquals(image.segments().getFirst().buf(), loaded, "loaded straight into place");
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14, 15, 16})
  void theListReadsBackAsEverySegmentPageWithSourcesClearOfOtherDestinations(long seed) {
    // a small machine whose segments cover a third of RAM: many fresh pages are destinations,
    // which exercises kimage_alloc_page's swap and spare-page paths
    KexecHost host = TestHosts.host(Arch.X86_64, 96 * MIB, null, seed);
    List<Segment> segments = List.of(random(8 * MIB, 24 * MIB, 5000, seed), random(40 * MIB, 8 * MIB, 9000, seed + 1));
    KImage image = KImage.allocate(host, ImageType.NORMAL, 8 * MIB, segments);
    image.loadSegments();
    IndirectionWalk walk = IndirectionWalk.read(host.memory(), image.head(), 8);
    assertEquals((24 + 8) * 256, walk.copies().size(), "seed " + seed);
    assertTrue(walk.sourcesRespectDestinations(), "seed " + seed);
    assertTrue(walk.copies().stream().anyMatch(c -> c.source() == c.destination()),
        "seed " + seed + ": some fresh page was its own destination (the dest_pages path)");
    // the bytes relocate_kernel would copy are the segment's bytes
    IndirectionWalk.PageCopy firstOfSecond = walk.copies().get(24 * 256);
    assertEquals(40 * MIB, firstOfSecond.destination());
    byte[] page = new byte[4096];
    host.memory().read(firstOfSecond.source(), page, 0, 4096);
    byte[] expected = new byte[4096];
    System.arraycopy(segments.get(1).buf(), 0, expected, 0, 4096);
    assertArrayEquals(expected, page, "seed " + seed);
    for (long ind : walk.indirectionPages()) {
      assertTrue(!image.isDestinationRange(ind, ind + 4095), "indirection pages are no destination");
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void randomMemoryEitherReadsToDoneOrIsReportedAsCorrupt(long seed) {
    // what a fuzzer will do: entries pointing anywhere, with any flags, in pages that link around
    SplittableRandom r = new SplittableRandom(seed);
    SparseMemory m = new SparseMemory(RamMap.ofSize(MIB));
    int w = r.nextBoolean() ? 8 : 4;
    for (int page = 0; page < 256; page++) {
      for (int slot = 0; slot < 4096 / w; slot++) {
        long target = r.nextInt(300) * 4096L; // some beyond the 1 MiB of RAM
        long flags = r.nextInt(100) < 90 ? (r.nextBoolean() ? IndirectionEntry.SOURCE : 0)
            : 1L << r.nextInt(4);
        long e = target | flags;
        if (w == 8) {
          m.writeU64(page * 4096L + slot * 8L, e);
        } else {
          m.writeU32(page * 4096L + slot * 4L, e);
        }
      }
    }
    for (int i = 0; i < 200; i++) {
      long head = r.nextInt(300) * 4096L | 1L << r.nextInt(4);
      try {
        IndirectionWalk walk = IndirectionWalk.read(m, head, w);
        assertTrue(walk.copies().size() <= 256 * 4096 / w, "bounded by the pages it read");
      } catch (CorruptIndirectionListException expected) {
        assertTrue(expected.getMessage().length() > 10);
      }
    }
  }

  @Test
  void onPaeSourcesStayBelow4GAndIndirectionPagesInLowmem() {
    // relocate_kernel_32 copies with paging off: KEXEC_SOURCE_MEMORY_LIMIT is -1UL = 4 GiB - 1
    KexecHost host = TestHosts.host(Arch.PAE, 16384 * MIB, null, 4);
    KImage image = KImage.allocate(host, ImageType.NORMAL, 16 * MIB, List.of(Segment.zeroFilled(16 * MIB, 8 * MIB)));
    image.loadSegments();
    IndirectionWalk walk = IndirectionWalk.read(host.memory(), image.head(), 4);
    assertEquals(2048, walk.copies().size());
    assertTrue(walk.copies().stream().allMatch(c -> c.source() < (1L << 32)));
    assertTrue(walk.indirectionPages().stream().allMatch(p -> p < 896 * MIB), "GFP_KERNEL: lowmem");
    assertTrue(image.controlPages().stream().allMatch(p -> p < 896 * MIB), "control pages: lowmem, below TASK_SIZE");
  }

  /** The one-line refusal of a walk of the list at {@code head} with {@code bytes}-wide entries. */
  private static String refused(SparseMemory m, long head, int bytes) {
    return assertThrows(CorruptIndirectionListException.class, () -> IndirectionWalk.read(m, head, bytes)).getMessage();
  }

  @Test
  void aCycleIsReported() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(16 * MIB));
    m.writeU64(0x10_0000, 0x20_0000 | IndirectionEntry.INDIRECTION);
    m.writeU64(0x20_0000, 0x10_0000 | IndirectionEntry.INDIRECTION);
    String e = refused(m, 0x10_0000 | IndirectionEntry.INDIRECTION, 8);
    assertTrue(e.contains("cycle"), e);
  }

  @Test
  void entriesOutsideRamAreReported() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(16 * MIB));
    m.writeU64(0x10_0000, 0x10_0000 | IndirectionEntry.DESTINATION);
    m.writeU64(0x10_0008, (64 * MIB) | IndirectionEntry.SOURCE);
    String e = refused(m, 0x10_0000 | IndirectionEntry.INDIRECTION, 8);
    assertTrue(e.contains("outside RAM") && e.contains("0x100008"), e);
    String link = refused(m, (64 * MIB) | IndirectionEntry.INDIRECTION, 8);
    assertTrue(link.contains("the head"), link);
  }

  @Test
  void aPageWithoutLinkOrDoneIsReported() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(16 * MIB));
    m.writeU32(0x10_0000, 0x10_0000 | IndirectionEntry.DESTINATION); // then 1023 empty (skipped) entries
    String e = refused(m, 0x10_0000 | IndirectionEntry.INDIRECTION, 4);
    assertTrue(e.contains("runs off the end"), e);
  }

  @Test
  void entriesWithoutFlagsAreSkippedLikeSwapPagesDoes() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(16 * MIB));
    m.writeU64(0x10_0000, 0x30_0000 | IndirectionEntry.DESTINATION);
    m.writeU64(0x10_0008, 0x40_0000); // no flag
    m.writeU64(0x10_0010, 0x50_0000 | IndirectionEntry.SOURCE);
    m.writeU64(0x10_0018, 0x51_0000 | IndirectionEntry.SOURCE);
    m.writeU64(0x10_0020, IndirectionEntry.DONE);
    IndirectionWalk w = IndirectionWalk.read(m, 0x10_0000 | IndirectionEntry.INDIRECTION, 8);
    assertEquals(List.of(new IndirectionWalk.PageCopy(0x30_0000, 0x50_0000), new IndirectionWalk.PageCopy(0x30_1000, 0x51_0000)),
        w.copies());
  }
}
