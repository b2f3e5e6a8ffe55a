package org.kexecsim.analyzer.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;

/** A physical read across non-RAM or excluded pages gives one hole per span, not one per page. */
class MemoryReadHoleTest {
  private static final long PAGE = PhysicalMemory.PAGE_SIZE;
  /** RAM [0, 16 pages) and [32 pages, 48 pages); pages 36..39 excluded. */
  private static final RamMap RAM = RamMap.of(RamRange.usable(0, 16 * PAGE), RamRange.usable(32 * PAGE, 16 * PAGE));

  private static List<MemoryRead.Piece> read(PhysicalMemory m, long start, long length) {
    List<MemoryRead.Piece> pieces = new ArrayList<>();
    MemoryRead.read(m, Optional.empty(), start, length, pieces::add);
    return pieces;
  }

  private static List<MemoryRead.Hole> holes(List<MemoryRead.Piece> pieces) {
    return pieces.stream().filter(p -> p instanceof MemoryRead.Hole).map(p -> (MemoryRead.Hole) p).toList();
  }

  @Test
  void aGapBetweenRamRangesIsOneHoleWithoutPerPageAddresses() {
    PhysicalMemory m = new Excluding(new SparseMemory(RAM), pa -> false);
    List<MemoryRead.Piece> pieces = read(m, 15 * PAGE, 18 * PAGE);
    List<MemoryRead.Hole> holes = holes(pieces);
    assertEquals(1, holes.size(), pieces.toString());
    assertEquals(16 * PAGE, holes.getFirst().address());
    assertEquals(16 * PAGE, holes.getFirst().length());
    assertEquals("not in the dump's RAM", holes.getFirst().why());
    assertFalse(holes.getFirst().excluded());
    // the bytes on each side are read: a page before the gap and one after
    long bytes = pieces.stream().filter(p -> p instanceof MemoryRead.Bytes).mapToLong(MemoryRead.Piece::length).sum();
    assertEquals(2 * PAGE, bytes);
  }

  @Test
  void excludedPagesInARowAreOneHoleAndADifferentCauseStartsAnother() {
    PhysicalMemory m = new Excluding(new SparseMemory(RAM), pa -> pa >= 36 * PAGE && pa < 40 * PAGE);
    List<MemoryRead.Hole> holes = holes(read(m, 8 * PAGE, 44 * PAGE));
    assertEquals(3, holes.size(), holes.toString());
    assertEquals(new MemoryRead.Hole(16 * PAGE, 16 * PAGE, "not in the dump's RAM", false), holes.get(0));
    assertEquals(new MemoryRead.Hole(36 * PAGE, 4 * PAGE, "excluded from the dump (makedumpfile dump level)", true), holes.get(1));
    assertEquals(new MemoryRead.Hole(48 * PAGE, 4 * PAGE, "not in the dump's RAM", false), holes.get(2));
  }

  @Test
  void hexDumpPrintsOneLinePerHoleSpan() {
    PhysicalMemory m = new Excluding(new SparseMemory(RAM), pa -> pa >= 36 * PAGE && pa < 40 * PAGE);
    StringWriter text = new StringWriter();
    HexDump dump = new HexDump(new PrintWriter(text), HexDump.Style.WORDS64, 16);
    MemoryRead.read(m, Optional.empty(), 16 * PAGE, 24 * PAGE, dump);
    dump.finish();
    assertEquals(2, dump.holes(), text.toString());
    List<String> lines = text.toString().lines().toList();
    assertEquals("0000000000010000-0000000000020000  64K: not in the dump's RAM", lines.getFirst());
    assertEquals("0000000000024000-0000000000028000  16K: excluded from the dump (makedumpfile dump level)", lines.get(1 + 4 * (int) PAGE / 16));
  }

  @Test
  void aReadAcrossTerabytesAboveRamIsOneHoleAndQuick() {
    PhysicalMemory m = new Excluding(new SparseMemory(RAM), pa -> false);
    long length = 1L << 42;
    List<MemoryRead.Piece> pieces = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> read(m, 47 * PAGE, length));
    assertEquals(2, pieces.size(), pieces.toString());
    MemoryRead.Hole h = (MemoryRead.Hole) pieces.get(1);
    assertEquals(48 * PAGE, h.address());
    assertEquals(47 * PAGE + length - 48 * PAGE, h.length());
    assertTrue(h.why().contains("not in the dump's RAM"), h.why());
  }

  @Test
  void aVirtualReadAcrossTheNonCanonicalGapIsOneHoleAndQuick() {
    // 4-level: the addresses from 2^47 up to the upper half at -2^47 are non-canonical (#GP, SDM
    // Vol. 3A §4.5); the walk reads no entry for them, so the gap is skipped whole, not page by page
    SparseMemory m = new SparseMemory(RAM);
    PagingContext ctx = RootTableFinder.explicit(m, 0x1000, PagingMode.LEVEL4);
    List<MemoryRead.Piece> pieces = new ArrayList<>();
    assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> MemoryRead.read(m, Optional.of(ctx), 0x7FFF_FFFF_F000L, 0xFFFF_0000_0000_3000L, pieces::add));
    List<MemoryRead.Hole> holes = holes(pieces);
    assertEquals(3, holes.size(), holes.toString());
    assertEquals(0x8000_0000_0000L, holes.get(1).address());
    assertEquals(0xFFFF_8000_0000_0000L - 0x8000_0000_0000L, holes.get(1).length());
    assertEquals("not mapped: #GP(0x0): non-canonical address", holes.get(1).why());
    assertEquals(0xFFFF_8000_0000_0000L, holes.get(2).address(), "the upper half is walked again");
  }

  /** A memory whose pages {@code excluded} names are RAM the image does not hold, as a filtered kdump's. */
  private record Excluding(SparseMemory ram, LongPredicate excluded) implements PhysicalMemory {
    @Override
    public RamMap ramMap() {
      return ram.ramMap();
    }

    @Override
    public boolean isExcluded(long physical) {
      return excluded.test(physical & -PAGE);
    }

    private void check(long physical) {
      if (isExcluded(physical)) {
        throw new PageExcludedException(physical, "test");
      }
    }

    @Override
    public int readU8(long physical) {
      check(physical);
      return ram.readU8(physical);
    }

    @Override
    public int readU16(long physical) {
      check(physical);
      return ram.readU16(physical);
    }

    @Override
    public long readU32(long physical) {
      check(physical);
      return ram.readU32(physical);
    }

    @Override
    public long readU64(long physical) {
      check(physical);
      return ram.readU64(physical);
    }

    @Override
    public void read(long physical, byte[] dst, int offset, int length) {
      check(physical);
      ram.read(physical, dst, offset, length);
    }

    @Override
    public void writeU8(long physical, int value) {
      ram.writeU8(physical, value);
    }

    @Override
    public void writeU16(long physical, int value) {
      ram.writeU16(physical, value);
    }

    @Override
    public void writeU32(long physical, long value) {
      ram.writeU32(physical, value);
    }

    @Override
    public void writeU64(long physical, long value) {
      ram.writeU64(physical, value);
    }

    @Override
    public void write(long physical, byte[] src, int offset, int length) {
      ram.write(physical, src, offset, length);
    }
  }
}
