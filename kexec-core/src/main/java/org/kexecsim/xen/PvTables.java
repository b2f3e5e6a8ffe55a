package org.kexecsim.xen;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.TableWalk;

/**
 * A PV guest's memory as the machine holds it: every pseudo-physical page at its machine frame,
 * and every page-table entry rewritten to hold a machine frame number, as a PV kernel writes
 * them (xen_make_pte()/pte_pfn_to_mfn() in Linux arch/x86/xen/mmu_pv.c: the hardware walks these
 * tables directly, so their frames must be machine frames). An entry whose frame has no p2m
 * entry stays as it is (an I/O mapping is machine-addressed already). A large leaf needs its
 * machine frames contiguous; a p2m that breaks one is refused.
 */
public final class PvTables {
  private PvTables() {}

  /** What the conversion did: pages placed, distinct tables and entries rewritten. */
  public record Conversion(int pages, int tables, int entries) {}

  public static Conversion convert(SparseMemory pseudo, PagingMode mode, List<Long> roots, P2m p2m, PhysicalMemory machine) {
    if (mode != PagingMode.PAE && !mode.isLongMode()) {
      throw new IllegalArgumentException("a PV guest runs PAE or 4-level paging, not " + mode.cliName());
    }
    byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
    int pages = 0;
    for (long pfn : pseudo.presentFrameNumbers()) {
      long mfn = p2m.mfn(pfn);
      if (mfn == P2m.INVALID) {
        throw new IllegalArgumentException(String.format("dom0 page 0x%x has no machine frame in the p2m", pfn << 12));
      }
      pseudo.read(pfn << PhysicalMemory.PAGE_SHIFT, page, 0, page.length);
      machine.write(mfn << PhysicalMemory.PAGE_SHIFT, page, 0, page.length);
      pages++;
    }
    Map<Long, Long> rewrites = new LinkedHashMap<>();
    java.util.Set<Long> tables = new java.util.HashSet<>();
    for (long root : roots) {
      TableWalk.walk(pseudo, TableWalk.Start.inMemory(mode, root), new TableWalk.Visitor() {
        long slot = -1;
        long entry;

        @Override
        public void entry(int level, long address, int index, long e) {
          slot = address;
          entry = e;
        }

        @Override
        public void table(long physical, int bytes, int level, long linearBase) {
          tables.add(physical);
          if (slot >= 0) {
            rewrites.put(slot, toMachine(entry, physical, PhysicalMemory.PAGE_SIZE, p2m));
            slot = -1;
          }
        }

        @Override
        public void leaf(long linear, long size, long physical, int level, long rights, long leaf) {
          rewrites.put(slot, toMachine(entry, physical, size, p2m));
          slot = -1;
        }

        @Override
        public void unreadable(long physical, int level, long linearBase) {
          slot = -1;
        }
      });
    }
    for (Map.Entry<Long, Long> r : rewrites.entrySet()) {
      machine.writeU64(p2m.machine(r.getKey()), r.getValue());
    }
    return new Conversion(pages, tables.size(), rewrites.size());
  }

  /** The entry with its frame (a table, or a leaf of {@code size} bytes at {@code physical}) made machine. */
  static long toMachine(long entry, long physical, long size, P2m p2m) {
    long base = physical & -size;
    long ma = p2m.machine(base);
    if (ma == P2m.INVALID) {
      return entry;
    }
    long last = p2m.machine(base + size - PhysicalMemory.PAGE_SIZE);
    if (last != ma + size - PhysicalMemory.PAGE_SIZE) {
      throw new IllegalArgumentException(String.format(
          "a %d KiB leaf at pseudo-physical 0x%x spans machine frames that are not contiguous", size >> 10, base));
    }
    long addressBits = PagingMode.FRAME_MASK_64 & -size;
    return (entry & ~addressBits) | ma;
  }
}
