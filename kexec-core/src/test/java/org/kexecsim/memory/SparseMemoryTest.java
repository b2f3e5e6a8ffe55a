package org.kexecsim.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SparseMemoryTest {
  private static final long TIB = 1L << 40;

  @Test
  void neverWrittenMemoryReadsAsZeroAndCostsNothing() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1L << 30));
    assertEquals(0, m.readU64(0x1234_5678L));
    assertEquals(0, m.readU8((1L << 30) - 1));
    assertEquals(0, m.framesPresent());
  }

  @Test
  void valuesAreLittleEndian() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1 << 20));
    m.writeU64(0x100, 0x0807_0605_0403_0201L);
    for (int i = 0; i < 8; i++) {
      assertEquals(i + 1, m.readU8(0x100 + i));
    }
    assertEquals(0x0201, m.readU16(0x100));
    assertEquals(0x0403_0201L, m.readU32(0x100));
    m.writeU16(0x200, 0xBEEF);
    m.writeU32(0x204, 0xDEAD_BEEFL);
    assertEquals(0xDEAD_BEEF_0000_BEEFL, m.readU64(0x200));
    assertEquals(0xDEAD_BEEFL, m.readU32(0x204), "u32 reads zero-extend");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 5, 7})
  void accessesThatStraddleAFrameBoundaryWork(int bytesBefore) {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1 << 20));
    long pa = 0x2000 - bytesBefore;
    m.writeU64(pa, 0x1122_3344_5566_7788L);
    assertEquals(0x1122_3344_5566_7788L, m.readU64(pa));
    assertEquals(2, m.framesPresent());
    m.writeU32(0x3FFE, 0xCAFE_F00DL);
    assertEquals(0xCAFE_F00DL, m.readU32(0x3FFE));
  }

  @Test
  void aMachineWith64TiBOfRamCostsOnlyWhatIsTouched() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64 * TIB));
    long top = 64 * TIB - 8;
    m.writeU64(top, 42);
    m.writeU64(32 * TIB, 7);
    m.writeU64(0, 1);
    assertEquals(42, m.readU64(top));
    assertEquals(7, m.readU64(32 * TIB));
    assertEquals(0, m.readU64(48 * TIB));
    assertEquals(3, m.framesPresent());
    assertTrue(m.retainedBytes() < 8L << 20, "the machine costs " + m.retainedBytes() + " bytes, not 64 TiB");
  }

  @Test
  void anAccessOutsideRamNamesTheAddress() {
    SparseMemory m = new SparseMemory(RamMap.of(RamRange.usable(0, 0xA0000), RamRange.usable(0x10_0000, 0xF00000)));
    PhysicalAccessException e = assertThrows(PhysicalAccessException.class, () -> m.readU64(0xB0000));
    assertEquals("physical address 0xb0000 (8 bytes) is outside RAM", e.getMessage());
    assertEquals(0xB0000, e.physical());
    assertThrows(PhysicalAccessException.class, () -> m.writeU32(0x9FFFE, 1), "straddles the end of a range");
    assertThrows(PhysicalAccessException.class, () -> m.readU64(0x1000_0000));
  }

  @Test
  void adjacentRangesFormOneStretch() {
    SparseMemory m = new SparseMemory(RamMap.of(RamRange.usable(0, 0x1000), RamRange.reserved(0x1000, 0x1000)));
    m.writeU64(0xFFC, -1L);
    assertEquals(-1L, m.readU64(0xFFC));
  }

  @Test
  void rangesThatWrapPast2To64AreRefused() {
    SparseMemory m = new SparseMemory(RamMap.of(RamRange.usable(-0x2000L, 0x2000)));
    m.writeU64(-8L, 5);
    assertEquals(5, m.readU64(-8L));
    PhysicalAccessException e = assertThrows(PhysicalAccessException.class, () -> m.readU64(-4L));
    assertTrue(e.getMessage().contains("wraps"), e.getMessage());
    assertThrows(PhysicalAccessException.class, () -> m.read(-16L, new byte[32], 0, 32));
  }

  @Test
  void bulkReadAndWriteCrossFramesAndHoles() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1 << 20));
    byte[] data = new byte[10_000];
    new SplittableRandom(1).nextBytes(data);
    m.write(0x1800, data, 0, data.length);
    byte[] back = new byte[data.length + 100];
    m.read(0x1800, back, 0, back.length);
    assertArrayEquals(data, java.util.Arrays.copyOf(back, data.length));
    assertEquals(0, back[data.length + 50], "beyond the write reads zero");
  }

  @Test
  void pagesCopyAndCompare() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1 << 20));
    m.writeU64(0x1008, 99);
    m.copyPage(0x1000, 0x5000);
    assertEquals(99, m.readU64(0x5008));
    assertTrue(m.pageEquals(0x1000, m, 0x5000));
    assertTrue(m.pageEquals(0x7000, m, 0x8000), "two holes are equal");
    m.writeU64(0x9000, 0);
    assertTrue(m.pageEquals(0x9000, m, 0xA000), "a written zero page equals a hole");
    assertFalse(m.pageEquals(0x1000, m, 0xA000));
    m.copyPage(0xA000, 0x5000);
    assertEquals(0, m.readU64(0x5008), "copying a hole clears the destination");
  }

  @Test
  void copiesAreIndependentSnapshots() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1 << 20));
    m.writeU64(0x100, 1);
    SparseMemory snapshot = m.copy();
    m.writeU64(0x100, 2);
    assertEquals(1, snapshot.readU64(0x100));
    assertArrayEquals(new long[] {0}, snapshot.presentFrameNumbers());
  }

  @Test
  void manyFramesSurviveRehashing() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64 * TIB));
    SplittableRandom r = new SplittableRandom(7);
    long[] pfns = r.longs(20_000, 0, (64 * TIB) >>> 12).toArray();
    for (long pfn : pfns) {
      m.writeU64(pfn << 12, pfn);
    }
    for (long pfn : pfns) {
      assertEquals(pfn, m.readU64(pfn << 12));
    }
  }

  /**
   * Frames written densely (which grows the flat window up and down and moves directory chunks
   * into it) and sparsely (which stays in the directory) read back, list and copy as written.
   */
  @Test
  void framesReadBackWhereverTheWindowGrows() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64 * TIB));
    SplittableRandom r = new SplittableRandom(11);
    java.util.TreeMap<Long, Long> model = new java.util.TreeMap<>();
    java.util.HashMap<Long, Long> written = new java.util.HashMap<>();
    long dense = 48L << 18; // pfn of 48 GiB: frames on both sides of it, the low ones written later
    for (int i = 0; i < 16_000; i++) {
      int kind = r.nextInt(64);
      long pfn = kind == 0 ? r.nextLong((64 * TIB) >>> 12) // sparse: far from the rest
          : kind < 24 ? dense - 1 - r.nextLong(Math.min(dense, 1L + i * 8L)) // below, ever lower
          : dense + r.nextLong(1L + i * 8L); // above, ever higher
      long at = (pfn << 12) + 8L * r.nextInt(512);
      long value = r.nextLong();
      m.writeU64(at, value);
      model.merge(pfn, 1L, Long::sum);
      written.put(at, value);
    }
    assertArrayEquals(model.keySet().stream().mapToLong(Long::longValue).toArray(), m.presentFrameNumbers());
    assertEquals(model.size(), m.framesPresent());
    written.forEach((at, value) -> assertEquals(value, m.readU64(at), () -> String.format("at 0x%x", at)));
    SparseMemory copy = m.copy();
    for (long pfn : model.keySet()) {
      assertTrue(m.mayBeNonZero(pfn << 12), () -> "frame " + pfn + " lost");
      assertTrue(m.pageEquals(pfn << 12, copy, pfn << 12));
    }
    for (int i = 0; i < 10_000; i++) {
      long pfn = dense - (1L << 20) + r.nextLong(2L << 20);
      assertEquals(model.containsKey(pfn), m.mayBeNonZero(pfn << 12), "pfn " + pfn);
    }
    SparseMemory full = new SparseMemory(RamMap.ofSize(256L << 20)); // dense RAM: the references cost little
    for (long pa = 0; pa < 256L << 20; pa += 4096) {
      full.writeU8(pa, 1);
    }
    assertTrue(full.retainedBytes() < (256L << 20) * 101 / 100, "256 MiB of frames costs " + full.retainedBytes());
  }

  /**
   * readU64s (a batch of page walks reads through it) agrees with readU64 on every kind of load:
   * aligned in the flat window, unaligned, straddling two frames, in a frame never written, in a
   * frame of the directory far from the window; and it fails on a load outside RAM as readU64 does.
   */
  @Test
  void batchedLoadsReadWhatSingleLoadsRead() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64 * TIB));
    SplittableRandom r = new SplittableRandom(5);
    for (long pa = 16L << 20; pa < 20L << 20; pa += 8) { // 4 MiB dense: the window
      m.writeU64(pa, r.nextLong());
    }
    m.writeU64(40 * TIB + 0x1000, 0x1122_3344_5566_7788L); // far away: the directory
    m.writeU64(40 * TIB + 0x1ffc, -1L); // straddles into a frame never written
    long[] at = new long[4096];
    for (int i = 0; i < at.length; i++) {
      at[i] = switch (i % 6) {
        case 0, 1 -> (16L << 20) + 8L * r.nextInt(1 << 19); // aligned, in the window
        case 2 -> (16L << 20) + r.nextInt(4 << 20); // any alignment, some straddling
        case 3 -> 40 * TIB + 0x1000 + 8L * r.nextInt(1024); // directory frames and the one after
        case 4 -> 40 * TIB + 0x1ff8 + r.nextInt(8); // straddling out of the directory frame
        default -> r.nextLong(64 * TIB - 8); // mostly never written
      };
    }
    long[] values = new long[at.length + 1];
    values[at.length] = 99;
    m.readU64s(at, values, at.length);
    for (int i = 0; i < at.length; i++) {
      assertEquals(m.readU64(at[i]), values[i], String.format("at 0x%x", at[i]));
    }
    assertEquals(99, values[at.length], "nothing past count is written");
    long[] outside = {16L << 20, 64 * TIB};
    PhysicalAccessException e = assertThrows(PhysicalAccessException.class, () -> m.readU64s(outside, new long[2], 2));
    assertEquals(64 * TIB, e.physical());
  }

  /** A series crossing frames, in the window and out of it, with its step changing between series. */
  @Test
  void seriesWriteEachEntryFirstPlusIndexTimesStep() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64 * TIB));
    long[][] series = { // start, count, first, step
        {0x10_0ff0, 1100, 0x8000_0000_0000_0063L, 4096},
        {0x10_3000, 512, 0x163, 1L << 21},
        {40 * TIB + 0x7f8, 700, -5, -3}, // far from the window: the directory
        {0x10_2000, 3, 7, 4096},
    };
    for (long[] s : series) {
      m.writeU64Series(s[0], (int) s[1], s[2], s[3]);
    }
    for (long[] s : series) {
      if (s[0] == 0x10_0ff0) {
        continue; // partly overwritten by the last series
      }
      for (int i = 0; i < s[1]; i++) {
        assertEquals(s[2] + i * s[3], m.readU64(s[0] + 8L * i), "entry " + i + " of the series at 0x" + Long.toHexString(s[0]));
      }
    }
    for (int i = 0; i < 1100; i++) {
      long at = 0x10_0ff0 + 8L * i;
      long expected = at >= 0x10_2000 && at < 0x10_2018 ? 7 + ((at - 0x10_2000) >>> 3) * 4096
          : at >= 0x10_3000 ? 0x163 + ((at - 0x10_3000) >>> 3) * (1L << 21)
          : 0x8000_0000_0000_0063L + i * 4096L;
      assertEquals(expected, m.readU64(at), "entry " + i + " of the first series");
    }
  }
}
