package org.kexecsim.analyzer.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.TablePage;

class ImageDiffTest {
  static final RamRange CRASH = RamRange.usable(64L << 20, 32L << 20);
  static final RamRange TEXT = RamRange.usable(SimulatedMachine.TEXT_PA, 16L << 20);

  @TempDir Path dir;

  @Test
  void changedPagesAreFoundCoalescedAndTaggedByWhatTheyAre() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 6);
    SparseMemory after = machine.memory().copy();
    long data = SimulatedMachine.USER_PA + 0x2000;
    for (int i = 0; i < 3; i++) {
      after.writeU8(data + i * 4096L + 17, after.readU8(data + i * 4096L + 17) ^ 1); // three adjacent pages
    }
    TablePage pt = machine.tables().stream().filter(t -> t.level() == 1).findFirst().orElseThrow();
    after.writeU64(pt.physical() + 8 * 100, 0x1234_5003L);
    after.writeU64(CRASH.start() + 0x5000, 42); // the capture kernel arrives
    after.writeU8(SimulatedMachine.TEXT_PA + 0x1fff, 0xcc); // a breakpoint in the old kernel's text

    try (Dump a = ElfCoreReader.open(machine.writeQemu(dir.resolve("a"), ElfClass.ELF64));
        Dump b = ElfCoreReader.open(machine.writeQemu(after, dir.resolve("b"), ElfClass.ELF64, machine.registers()))) {
      PagingContext ctx = RootTableFinder.find(a, OptionalLong.empty(), Optional.empty(), 0);
      DiffOptions options = DiffOptions.NONE.withCrashRegion(CRASH).withKernelText(TEXT).withOldKernelPaging(ctx);
      DiffReport parallel = ImageDiff.diff(a.physicalMemory(), b.physicalMemory(), options.withThreads(2));
      assertEquals(List.of(
          new DiffRange(SimulatedMachine.TEXT_PA + 0x1000, 4096, Set.of(DiffTag.KERNEL_TEXT)),
          new DiffRange(data, 3 * 4096, Set.of()),
          new DiffRange(CRASH.start() + 0x5000, 4096, Set.of(DiffTag.CRASH_REGION)),
          new DiffRange(pt.physical(), 4096, Set.of(DiffTag.PAGE_TABLE))), parallel.ranges(), parallel.toText());
      assertEquals(6, parallel.differingPages());
      assertEquals(6 * 4096, parallel.differingBytes());
      assertEquals(SimulatedMachine.RAM.usableBytes(), parallel.comparedBytes());

      java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
      DiffReport sequential = ImageDiff.diff(a.physicalMemory(), b.physicalMemory(),
          options.withThreads(1).withProgress(done::addAndGet));
      assertEquals(sequential.comparedBytes(), done.get(), "progress reaches the bytes compared");
      assertEquals(parallel, sequential, "one thread and two find the same differences");
      DiffReport simulated = ImageDiff.diff(machine.memory(), after, options);
      assertEquals(parallel.ranges(), simulated.ranges(), "the in-memory machines differ where their dumps do");
      assertTrue(ImageDiff.diff(a.physicalMemory(), a.physicalMemory(), DiffOptions.NONE).identical());
    }
  }

  @Test
  void theCrashRegionAVmcoreLeavesOutIsRamOnlyInTheOtherImage() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 7);
    Path vmcore = dir.resolve("vmcore");
    ElfCoreWriter.write(machine.memory(), CoreSpec.vmcore(ElfClass.ELF64, machine.arch(), SimulatedMachine.RAM.ranges(),
        List.of(new CpuSnapshot(1, machine.registers())), Optional.empty(), Optional.of(CRASH)), vmcore, false);
    try (Dump a = ElfCoreReader.open(machine.writeQemu(dir.resolve("a"), ElfClass.ELF64));
        Dump b = ElfCoreReader.open(vmcore)) {
      DiffReport d = ImageDiff.diff(a.physicalMemory(), b.physicalMemory(), DiffOptions.NONE.withCrashRegion(CRASH));
      assertEquals(List.of(new DiffRange(CRASH.start(), CRASH.size(), Set.of(DiffTag.ONLY_IN_A, DiffTag.CRASH_REGION))), d.ranges());
      assertEquals(CRASH.size(), d.onlyInABytes());
      assertEquals(0, d.differingPages());
    }
  }

  @Test
  void twoSimulatedMachinesOf64TerabytesDifferOnlyWhereTheyWereWritten() {
    SparseMemory a = new SparseMemory(org.kexecsim.memory.RamMap.ofSize(64L << 40));
    a.writeU64(0x1000, 1);
    a.writeU64((40L << 40) + 0x5000, 2);
    SparseMemory b = a.copy();
    b.writeU64((63L << 40) + 0x7008, 3);
    long t0 = System.nanoTime();
    DiffReport d = ImageDiff.diff(a, b, DiffOptions.NONE);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(List.of(new DiffRange((63L << 40) + 0x7000, 4096, Set.of())), d.ranges());
    assertTrue(ms < 20_000, "64 TiB of holes took " + ms + " ms");
  }

  /**
   * Two sparse raw files of 200 MiB (four 64 MiB chunks and a part): data runs that cross a chunk
   * boundary, start and end inside chunks, and sit on one side only; differences at the first
   * and last byte of a run, on both sides of a chunk boundary and in a partial last page. The
   * mapped path (populate, then MemorySegment.mismatch by 64 KiB blocks, resuming at the next
   * page) must find exactly the pages a
   * plain page-by-page read of the two files finds, on one thread and on two.
   */
  @Test
  void sparseRawFilesDifferWhereAPageByPageReadSaysTheyDo() throws Exception {
    long size = (200L << 20) + 100; // a partial last page
    Path fa = dir.resolve("a.raw");
    Path fb = dir.resolve("b.raw");
    java.util.Random random = new java.util.Random(17);
    byte[] run = new byte[5 << 20];
    random.nextBytes(run);
    long[] runs = {0, (62L << 20) + 4096, (130L << 20) + 123, size - (3L << 20)}; // the second crosses 64 MiB
    try (var a = java.nio.channels.FileChannel.open(fa, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        var b = java.nio.channels.FileChannel.open(fb, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE,
            java.nio.file.StandardOpenOption.READ)) {
      for (long at : runs) {
        int n = (int) Math.min(run.length, size - at);
        a.write(java.nio.ByteBuffer.wrap(run, 0, n), at);
        b.write(java.nio.ByteBuffer.wrap(run, 0, n), at);
      }
      a.write(java.nio.ByteBuffer.wrap(new byte[] {9}), 100L << 20); // data only in A, in B's hole
      long[] flips = {0, (62L << 20) + 4096, (64L << 20) - 1, 64L << 20, (130L << 20) + 123 + run.length - 1, size - 1};
      for (long at : flips) {
        java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
        b.read(one, at);
        b.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x40)}), at);
      }
      assertEquals(size, a.size(), "the last run ends the file");
    }
    List<DiffRange> expected = new java.util.ArrayList<>();
    byte[] pa = java.nio.file.Files.readAllBytes(fa);
    byte[] pb = java.nio.file.Files.readAllBytes(fb);
    for (long p = 0; p < size; p += 4096) {
      int from = (int) p;
      int to = (int) Math.min(size, p + 4096);
      if (java.util.Arrays.mismatch(pa, from, to, pb, from, to) >= 0) {
        DiffRange last = expected.isEmpty() ? null : expected.getLast();
        if (last != null && last.start() + last.size() == p) {
          expected.set(expected.size() - 1, new DiffRange(last.start(), last.size() + (to - from), Set.of()));
        } else {
          expected.add(new DiffRange(p, to - from, Set.of()));
        }
      }
    }
    assertEquals(6, expected.size(), "five flipped pages (two of them adjacent) and the byte in B's hole: " + expected);
    org.kexecsim.memory.RamMap ram = org.kexecsim.memory.RamMap.ofSize(size);
    try (Dump a = org.kexecsim.dump.RawImage.open(fa, ram); Dump b = org.kexecsim.dump.RawImage.open(fb, ram)) {
      for (int threads : new int[] {1, 2}) {
        DiffReport d = ImageDiff.diff(a.physicalMemory(), b.physicalMemory(), DiffOptions.NONE.withThreads(threads));
        assertEquals(expected, d.ranges(), threads + " thread(s)");
        assertEquals(size, d.comparedBytes());
      }
      assertTrue(ImageDiff.diff(a.physicalMemory(), a.physicalMemory(), DiffOptions.NONE).identical());
    }
    // RAM from 0x800: the blocks a differing run is searched by start mid-page, so a page can
    // straddle two blocks; a difference on each side of a block boundary in one page is one page
    long boundary = 0x800 + 5 * ImageDiff.BLOCK + (62L << 20); // inside run 2, a block boundary
    try (var b = java.nio.channels.FileChannel.open(fb, java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.READ)) {
      for (long at : new long[] {boundary - 0x100, boundary + 0x100}) {
        java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
        b.read(one, at);
        b.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x40)}), at);
      }
    }
    long page = boundary & -4096L;
    org.kexecsim.memory.RamMap fromMidPage = org.kexecsim.memory.RamMap.parse("0x800+" + (size - 0x800));
    try (Dump a = org.kexecsim.dump.RawImage.open(fa, fromMidPage); Dump b = org.kexecsim.dump.RawImage.open(fb, fromMidPage)) {
      DiffReport d = ImageDiff.diff(a.physicalMemory(), b.physicalMemory(), DiffOptions.NONE.withThreads(2));
      List<DiffRange> want = new java.util.ArrayList<>(expected.subList(1, expected.size())); // page 0's flip is below the RAM
      want.add(new DiffRange(page, 4096, Set.of()));
      // chunks count from the RAM's start, so the one at 64 MiB + 0x800 cuts page 64 MiB in two;
      // a page's differing piece is reported, and the piece past the cut holds no difference
      int cut = want.indexOf(new DiffRange((64L << 20) - 4096, 8192, Set.of()));
      want.set(cut, new DiffRange((64L << 20) - 4096, 4096 + 0x800, Set.of()));
      want.sort(java.util.Comparator.comparingLong(DiffRange::start));
      assertEquals(want, d.ranges(), "the straddling page once, whole");
    }
  }
}
