package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * Maps one 4 KiB page the way the kernel's kexec helpers do it by hand (2006 create_mapping(),
 * machine_kexec_32.c machine_kexec_page_table_set_one(), machine_kexec_64.c
 * init_transition_pgtable()): at each level, if the entry is not present, link a new table;
 * if it is present, follow its address. None of them checks PS, so a present large leaf is
 * followed as if it were a table and the PTE lands in the middle of mapped RAM; that case is
 * reported, not avoided.
 */
final class MappingWriter {
  private MappingWriter() {}

  /** Supplies the zeroed page for a new table at {@code level} (1 = page table), or throws. */
  @FunctionalInterface
  interface TablePages {
    long pageFor(int level);
  }

  /**
   * What one mapping did.
   *
   * @param newTables tables linked in
   * @param followedLeafAt the address of a present large leaf that was followed as a table, or -1
   * @param pteAddress where the leaf entry was written
   */
  record Outcome(int newTables, long followedLeafAt, long pteAddress) {}

  static Outcome map(
      PhysicalMemory memory,
      PagingMode mode,
      long root,
      long virtual,
      long physical,
      long leafFlags,
      long tableFlags,
      long topFlags,
      TablePages pages) {
    int entryBytes = mode.entryBytes();
    long table = root;
    int created = 0;
    long followedLeaf = -1;
    for (int level = mode.levels(); level >= 2; level--) {
      long entryAddress = table + mode.index(virtual, level) * entryBytes;
      long e = mode.readEntry(memory, entryAddress);
      if ((e & P) == 0) {
        long page = pages.pageFor(level - 1);
        memory.write(page, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
        long flags = level == mode.levels() ? topFlags : tableFlags;
        e = page | flags;
        mode.writeEntry(memory, entryAddress, e);
        created++;
      } else if ((e & PS) != 0 && mode.psLeafLevel(level)) {
        followedLeaf = entryAddress;
      }
      table = mode.tableAddress(e);
    }
    long pteAddress = table + mode.index(virtual, 1) * entryBytes;
    long pte = mode == PagingMode.BITS32 ? (physical & PagingMode.FRAME_MASK_32) | (leafFlags & 0xFFF) : physical | leafFlags;
    mode.writeEntry(memory, pteAddress, pte);
    return new Outcome(created, followedLeaf, pteAddress);
  }
}
