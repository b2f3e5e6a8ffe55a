package org.kexecsim.analyzer.ptdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.analyzer.SimulatedMachine.Mapping;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.EachPagingMode;

class PtDumpTest {
  @TempDir Path dir;

  @EachPagingMode
  void eachMappingThatWasBuiltIsOneCoalescedRangeWithItsRights(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 2);
    try (Dump dump = machine.openQemu(dir, ElfClass.ELF64)) {
      PagingContext ctx = RootTableFinder.find(dump);
      PtDumpReport report = PtDump.dump(dump.physicalMemory(), ctx);
      List<Mapping> expected = machine.mappings().stream()
          .sorted(Comparator.comparing((Mapping m) -> mode.canonical(m.va()), Long::compareUnsigned)).toList();
      assertEquals(expected.size(), report.ranges().size(), report.toText());
      for (int i = 0; i < expected.size(); i++) {
        Mapping m = expected.get(i);
        MappedRange r = report.ranges().get(i);
        assertEquals(mode.canonical(m.va()), r.start());
        assertEquals(m.size(), r.size());
        assertEquals(m.pa(), r.physical());
        assertTrue(r.physicallyContiguous());
        assertEquals(m.pageSize().label(), r.pageSize());
        assertEquals(m.size() / m.pageSize().bytes(), r.leaves());
        assertEquals(List.of(m.rw(), m.user(), m.nx(), m.global()), List.of(r.rw(), r.user(), r.nx(), r.global()),
            "rights of " + r);
        assertEquals(!m.user(), r.kernel(), "user mappings are in the user half, the rest in the kernel half");
      }
      assertEquals(machine.tables().size(), report.tables(), "every table the builder allocated is visited");
      assertTrue(report.toText().contains("---[ Kernel Space ]---"));
    }
  }

  @Test
  void aDirectMapOf64TerabytesIsDumpedFromItsEntriesNotItsPages() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64L << 20));
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.LEVEL4, new BumpFrameAllocator(1 << 20, 8 << 20));
    long size = 64L << 40;
    b.map(0xffff_8880_0000_0000L, 0, size, PageTableEntry.PAGE_KERNEL, PageSize.SIZE_1G);
    long t0 = System.nanoTime();
    PtDumpReport report = PtDump.dump(m, RootTableFinder.explicit(m, b.root(), PagingMode.LEVEL4));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(1, report.ranges().size());
    assertEquals(size, report.ranges().getFirst().size());
    assertEquals(65536, report.ranges().getFirst().leaves());
    assertTrue(ms < 5_000, "64 TiB of 1G leaves took " + ms + " ms");
  }
}
