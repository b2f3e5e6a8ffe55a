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
}
