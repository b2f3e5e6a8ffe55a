package org.kexecsim.analyzer.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.TablePage;
import org.kexecsim.testing.EachPagingMode;

class PgdVerifierTest {
  @TempDir Path dir;

  /** Runs verify-pgd on BEFORE = the machine and AFTER = {@code after}, both written as ELF cores and read back. */
  PgdVerdict verify(SimulatedMachine machine, SparseMemory after) throws Exception {
    ElfClass cls = machine.mode().isLongMode() ? ElfClass.ELF64 : ElfClass.ELF32;
    try (Dump b = ElfCoreReader.open(machine.writeQemu(dir.resolve("before"), cls));
        Dump a = ElfCoreReader.open(machine.writeQemu(after, dir.resolve("after"), cls, machine.registers()))) {
      PagingContext ctx = RootTableFinder.find(b);
      return PgdVerifier.verify(b.physicalMemory(), a.physicalMemory(), ctx);
    }
  }

  static int entryWidth(PagingMode mode) {
    return mode == PagingMode.BITS32 ? 4 : 8;
  }

  static long readEntry(SparseMemory m, PagingMode mode, long address) {
    return mode.readEntry(m, address);
  }

  static void writeEntry(SparseMemory m, PagingMode mode, long address, long value) {
    mode.writeEntry(m, address, value);
  }

  @EachPagingMode
  void anUntouchedCopyIsPreservedEvenWhenOtherMemoryChanged(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 3);
    SparseMemory after = machine.memory().copy();
    after.writeU64(SimulatedMachine.USER_PA + 8, 0xdead_beefL); // data, not a table
    after.writeU64(200L << 20, 1); // the capture kernel's memory
    PgdVerdict v = verify(machine, after);
    assertTrue(v.preserved(), v.toText());
    assertEquals(machine.tables().size(), v.tablesChecked());
  }

  @EachPagingMode
  void aClearedTopLevelEntryIsReportedWithItsIndexOldAndNewValueAndWhatItMapped(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 4);
    SparseMemory after = machine.memory().copy();
    int shift = mode.shift(mode.levels());
    int index = (int) ((SimulatedMachine.USER_VA >>> shift) & (mode == PagingMode.PAE ? 3 : mode == PagingMode.BITS32 ? 1023 : 511));
    long address = machine.cr3() + (long) index * entryWidth(mode);
    long old = readEntry(after, mode, address);
    writeEntry(after, mode, address, 0);

    PgdVerdict v = verify(machine, after);
    assertFalse(v.preserved());
    assertEquals(1, v.changedTables());
    TableChange t = v.changes().getFirst();
    assertEquals(machine.cr3(), t.physical());
    assertEquals(mode.levels(), t.level());
    EntryChange e = t.entries().getFirst();
    assertEquals(1, t.entries().size());
    assertEquals(index, e.index());
    assertEquals(old, e.oldValue());
    assertEquals(0, e.newValue());
    assertEquals(String.format("table at 0x%x", old & 0x000F_FFFF_FFFF_F000L & (mode == PagingMode.BITS32 ? 0xFFFF_F000L : -1L)), e.before());
    assertEquals("not present", e.after());
    assertEquals((long) index << shift, e.linear(), "the linear addresses the entry covers");
  }

  @EachPagingMode
  void aChangedPteIsReportedInItsPageTable(PagingMode mode) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(mode, 5);
    TablePage pt = machine.tables().stream().filter(t -> t.level() == 1).findFirst().orElseThrow();
    SparseMemory after = machine.memory().copy();
    int index = (int) ((SimulatedMachine.USER_VA >>> 12) & (mode == PagingMode.BITS32 ? 1023 : 511)) + 3;
    long address = pt.physical() + (long) index * entryWidth(mode);
    long old = readEntry(after, mode, address);
    writeEntry(after, mode, address, old & ~PageTableEntry.RW);

    PgdVerdict v = verify(machine, after);
    assertFalse(v.preserved());
    assertEquals(1, v.changedTables());
    TableChange t = v.changes().getFirst();
    assertEquals(pt.physical(), t.physical());
    assertEquals("PTE", t.table());
    EntryChange e = t.entries().getFirst();
    assertEquals(index, e.index());
    assertEquals(SimulatedMachine.USER_VA + 3 * 4096, e.linear());
    assertTrue(e.before().startsWith(String.format("4K page at 0x%x P RW US", SimulatedMachine.USER_PA + 3 * 4096)), e.before());
    assertTrue(e.after().startsWith(String.format("4K page at 0x%x P US", SimulatedMachine.USER_PA + 3 * 4096)), e.after());
    assertTrue(v.toJson(org.kexecsim.analyzer.ReportJson.MAPPER.createObjectNode()).path("changes").get(0).path("entries").get(0).path("old").asText().startsWith("0x"));
  }
}
