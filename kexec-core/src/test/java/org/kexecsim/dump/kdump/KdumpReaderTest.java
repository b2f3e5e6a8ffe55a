package org.kexecsim.dump.kdump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.dump.MalformedDumpException;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;

/**
 * The kdump-compressed reader on files laid out as makedumpfile lays them (KdumpTestWriter), so
 * every rule holds without the real tool: each codec reads back the bytes written, excluded pages
 * are excluded and never zeros, split parts in any order are one dump and a missing, overlapping
 * or foreign part is refused, a flattened stream reads in place.
 */
class KdumpReaderTest {
  static final String VMCOREINFO = "OSRELEASE=6.16.0-test\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffff82000000\n";

  @TempDir Path dir;
  SparseMemory memory;

  @BeforeEach
  void machine() {
    // two RAM ranges with a hole, some pages random (incompressible), some text, the rest zero
    memory = new SparseMemory(RamMap.parse("0-0x9ffff,0x100000-0x4fffff"));
    SplittableRandom r = new SplittableRandom(7);
    for (long pa = 0x100000; pa < 0x140000; pa += 8) {
      memory.writeU64(pa, r.nextLong());
    }
    for (long pa = 0x200000; pa < 0x240000; pa += 8) {
      memory.writeU64(pa, pa * 0x9E37_79B9L & 0xFFFF);
    }
    memory.writeU64(0x1000, 0x1122334455667788L);
  }

  Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  void assertSameMemory(PhysicalMemory got) {
    assertEquals(memory.ramMap().ranges(), got.ramMap().ranges(), "RAM is what the 1st bitmap marks");
    byte[] a = new byte[4096];
    byte[] b = new byte[4096];
    for (var range : memory.ramMap().ranges()) {
      for (long pa = range.start(); pa < range.end(); pa += 4096) {
        memory.read(pa, a, 0, 4096);
        got.read(pa, b, 0, 4096);
        assertArrayEquals(a, b, () -> "page " + Long.toHexString(got.ramMap().ranges().getFirst().start()));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(PageCodec.class)
  void everyCodecReadsBackThePagesWritten(PageCodec codec) throws IOException {
    Path f = write("dump." + codec.cliName(), KdumpTestWriter.of(memory).codec(codec).vmcoreinfo(VMCOREINFO).file());
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      assertEquals(DumpFormat.KDUMP_COMPRESSED, d.format());
      assertEquals(Dump.EM_X86_64, d.eMachine());
      assertEquals("6.16.0-test", d.vmcoreInfo().orElseThrow().osRelease().orElseThrow(), "VMCOREINFO from the sub-header");
      assertEquals(0x1122334455667788L, d.physicalMemory().readU64(0x1000));
      assertSameMemory(d.physicalMemory());
      assertEquals(0, d.physicalMemory().excludedBytes());
    }
  }

  @Test
  void excludedPagesAreExcludedNotZeros() throws IOException {
    Path f = write("d31", KdumpTestWriter.of(memory).exclude(pfn -> pfn >= 0x300 && pfn < 0x310, 31).file());
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      PhysicalMemory m = d.physicalMemory();
      assertTrue(m.isExcluded(0x300000));
      assertFalse(m.isExcluded(0x310000));
      assertFalse(m.isExcluded(0xa0000), "a hole is not RAM, so not excluded RAM");
      assertEquals(16 * 4096, m.excludedBytes());
      PageExcludedException e = assertThrows(PageExcludedException.class, () -> m.readU64(0x300008));
      assertTrue(e.getMessage().contains("not in the dump") && e.getMessage().contains("level 31"), e.getMessage());
      assertThrows(PageExcludedException.class, () -> m.read(0x2ff000, new byte[0x2000], 0, 0x2000), "a read spanning one");
      assertEquals(0, m.readU64(0x310000), "the page after is held");
      assertTrue(m.ramMap().contains(0x300000), "excluded pages are still RAM");
      PhysicalAccessException hole = assertThrows(PhysicalAccessException.class, () -> m.readU8(0xa0000));
      assertFalse(hole instanceof PageExcludedException);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5})
  void olderHeaderVersionsRead(int version) throws IOException {
    Path f = write("v" + version, KdumpTestWriter.of(memory).version(version).vmcoreinfo(VMCOREINFO).file());
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      assertSameMemory(d.physicalMemory());
      assertEquals(version >= 3, d.vmcoreInfo().isPresent(), "VMCOREINFO offsets exist from version 3");
    }
  }

  @Test
  void aFlattenedStreamReadsInPlaceLaterRecordsWinning() throws IOException {
    byte[] file = KdumpTestWriter.of(memory).codec(PageCodec.ZLIB).vmcoreinfo(VMCOREINFO).file();
    Path f = write("flat", KdumpTestWriter.flatten(file, 5000, 3));
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      assertEquals(DumpFormat.FLATTENED, d.format());
      assertSameMemory(d.physicalMemory());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 3})
  void splitPartsInAnyOrderAreOneDump(int n) throws IOException {
    List<byte[]> parts = KdumpTestWriter.of(memory).codec(PageCodec.LZO).vmcoreinfo(VMCOREINFO)
        .exclude(pfn -> pfn == 0x400, 31).split(n);
    List<Path> paths = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      paths.add(write("split." + i, parts.get(i)));
    }
    Collections.reverse(paths);
    try (Dump d = DumpFiles.open(paths, Optional.empty(), null)) {
      assertEquals(DumpFormat.SPLIT, d.format());
      assertTrue(d.physicalMemory().isExcluded(0x400000));
      assertEquals(0x1122334455667788L, d.physicalMemory().readU64(0x1000));
      assertEquals(memory.readU64(0x4ff000 - 8), d.physicalMemory().readU64(0x4ff000 - 8));
    }
  }

  @Test
  void aMissingOverlappingOrForeignSplitPartIsRefused() throws IOException {
    List<byte[]> parts = KdumpTestWriter.of(memory).split(3);
    Path p0 = write("s.0", parts.get(0));
    Path p1 = write("s.1", parts.get(1));
    Path p2 = write("s.2", parts.get(2));
    MalformedDumpException missing = assertThrows(MalformedDumpException.class,
        () -> DumpFiles.open(List.of(p0, p2), Optional.empty(), null));
    assertTrue(missing.getMessage().contains("split dump part missing"), missing.getMessage());
    MalformedDumpException twice = assertThrows(MalformedDumpException.class,
        () -> DumpFiles.open(List.of(p0, p1, p1, p2), Optional.empty(), null));
    assertTrue(twice.getMessage().contains("overlap"), twice.getMessage());
    Path other = write("other.1", KdumpTestWriter.of(memory).timestamp(42).split(3).get(1));
    MalformedDumpException foreign = assertThrows(MalformedDumpException.class,
        () -> DumpFiles.open(List.of(p0, other, p2), Optional.empty(), null));
    assertTrue(foreign.getMessage().contains("another dump"), foreign.getMessage());
    MalformedDumpException alone = assertThrows(MalformedDumpException.class,
        () -> DumpFiles.open(List.of(p1), Optional.empty(), null));
    assertTrue(alone.getMessage().startsWith(p1 + ": offset 0x"), alone.getMessage());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void theLayoutOfA32BitMakedumpfileReadsToo(boolean sixteenMiB) throws IOException {
    if (sixteenMiB) { // max_mapnr 4096 sits where the 64-bit layout keeps block_size
      memory = new SparseMemory(RamMap.ofSize(16L << 20));
      memory.writeU64(0x1000, 0x1122334455667788L);
    }
    for (boolean narrow : new boolean[] {true, false}) {
      KdumpTestWriter w = KdumpTestWriter.of(memory).machine("i686").vmcoreinfo(VMCOREINFO);
      Path f = write("i686-" + narrow, (narrow ? w.narrow() : w).file());
      try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
        assertEquals(Dump.EM_386, d.eMachine());
        assertEquals("6.16.0-test", d.vmcoreInfo().orElseThrow().osRelease().orElseThrow());
        assertSameMemory(d.physicalMemory());
      }
    }
    List<byte[]> parts = KdumpTestWriter.of(memory).narrow().split(2);
    try (Dump d = DumpFiles.open(List.of(write("n.1", parts.get(0)), write("n.2", parts.get(1))), Optional.empty(), null)) {
      assertEquals(0x1122334455667788L, d.physicalMemory().readU64(0x1000));
    }
  }

  @Test
  void twoCompressedDumpsComparePageByPage() throws IOException {
    Path a = write("a", KdumpTestWriter.of(memory).codec(PageCodec.ZLIB).file());
    memory.writeU64(0x200008, 0xdead);
    Path b = write("b", KdumpTestWriter.of(memory).codec(PageCodec.LZO).file());
    try (Dump da = DumpFiles.open(List.of(a), Optional.empty(), null); Dump db = DumpFiles.open(List.of(b), Optional.empty(), null)) {
      for (long pa = 0x100000; pa < 0x300000; pa += 4096) {
        assertEquals(pa != 0x200000, da.physicalMemory().pageEquals(pa, db.physicalMemory(), pa), "page 0x" + Long.toHexString(pa));
      }
    }
  }

  @Test
  void aDumpOfAnotherArchitectureIsRefused() throws IOException {
    Path f = write("arm", KdumpTestWriter.of(memory).machine("aarch64").file());
    MalformedDumpException e = assertThrows(MalformedDumpException.class, () -> DumpFiles.open(List.of(f), Optional.empty(), null));
    assertTrue(e.getMessage().contains("aarch64"), e.getMessage());
  }

  @Test
  void anUnrecognizedFileNamesTheFormatsTriedAndRawNeedsToBeAskedFor() throws IOException {
    Path f = write("raw", new byte[8192]);
    MalformedDumpException e = assertThrows(MalformedDumpException.class, () -> DumpFiles.open(List.of(f), Optional.empty(), null));
    assertTrue(e.getMessage().contains("KDUMP") && e.getMessage().contains("makedumpfile") && e.getMessage().contains("ELF"),
        e.getMessage());
    try (Dump d = DumpFiles.open(List.of(f), Optional.of(DumpFormat.RAW), null)) {
      assertEquals(8192, d.physicalMemory().ramMap().usableBytes());
    }
  }
}
