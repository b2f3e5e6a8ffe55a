package org.kexecsim.analyzer.vtop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.analyzer.SimulatedMachine.Mapping;
import org.kexecsim.dump.Dump;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.testing.EachPagingMode;

class VtopTest {
  @TempDir Path dir;

  @EachPagingMode
  void everyAddressOfWhatWasMappedTranslatesThroughTheDumpToWhereItWasMapped(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 1);
    try (Dump dump = machine.openQemu(dir, machine.nativeClass())) {
      PagingContext ctx = RootTableFinder.find(dump);
      assertEquals(mode, ctx.mode());
      assertEquals(machine.cr3(), ctx.root());
      assertTrue(ctx.rootSource().startsWith("QEMU note of CPU 0"), ctx.rootSource());
      List<Long> vas = new ArrayList<>();
      for (Mapping m : machine.mappings()) {
        vas.addAll(List.of(m.va(), m.va() + m.size() / 2 + 0x123, m.va() + m.size() - 1));
      }
      VtopReport report = Vtop.translate(dump.physicalMemory(), ctx, vas);
      int i = 0;
      for (Mapping m : machine.mappings()) {
        for (int k = 0; k < 3; k++) {
          VtopResult r = report.results().get(i++);
          long va = r.linear();
          assertEquals(m.pa() + (va - (m.va() & (mode.isLongMode() ? -1L : 0xFFFF_FFFFL))), r.physical().getAsLong(),
              String.format("va 0x%x", va));
          assertEquals(m.pageSize(), r.pageSize().get());
          assertEquals(mode.levels() - (m.pageSize().shift() - 12) / (mode == PagingMode.BITS32 ? 10 : 9)
              - (mode == PagingMode.PAE ? 0 : 0), r.steps().size(), "one entry per level down to the leaf");
        }
      }
      assertTrue(report.allMapped());
      VtopResult hole = Vtop.translate(dump.physicalMemory(), ctx, List.of(0x1000L)).results().getFirst();
      assertFalse(hole.isMapped());
      assertTrue(hole.fault().get().startsWith("#PF"), hole.fault().get());
      assertTrue(report.toJson().toString().contains("\"physical\":\"0x"), "addresses are 0x strings in JSON");
    }
  }
}
