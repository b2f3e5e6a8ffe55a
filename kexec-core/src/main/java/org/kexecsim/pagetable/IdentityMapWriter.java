package org.kexecsim.pagetable;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;

/**
 * Builds a fresh identity map of {@code [start, start+size)} fast: a table of leaves from end to
 * end is stored as one series ({@link PhysicalMemory#writeU64Series}), any other table is composed
 * in a scratch page and stored with one bulk write, so the inner loop is a store into a byte array
 * per entry and allocates nothing (SparseMemory allocates one frame per table page, not per
 * entry). Same entry formats as {@link PageTableBuilder} (SDM Vol. 3A §4.3–4.5; PAE PDPTEs carry
 * only P, §4.4.1), for the fresh-table case only: it never reads or merges existing entries.
 * Not thread-safe; reuse one writer for repeated builds.
 */
public final class IdentityMapWriter {
  private static final VarHandle LE64 =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE32 =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private final PhysicalMemory memory;
  private final PagingMode mode;
  private final byte[][] scratch = new byte[6][PhysicalMemory.PAGE_SIZE];
  private final List<TablePage> pages = new ArrayList<>();
  private FrameAllocator allocator;
  private long entriesWritten;

  public IdentityMapWriter(PhysicalMemory memory, PagingMode mode) {
    if (mode == PagingMode.DISABLED) {
      throw new IllegalArgumentException("no page tables without paging");
    }
    this.memory = memory;
    this.mode = mode;
  }

  /**
   * Writes a new hierarchy mapping {@code [start, start+size)} to itself, using pages up to
   * {@code largest} where alignment allows, tables from {@code allocator}; returns the root.
   *
   * @param leafFlags leaf flags in 4 KiB-PTE form (PS is added to large leaves)
   * @param tableFlags flags of links to lower tables (PAE PDPTEs get P only)
   */
  public long build(FrameAllocator allocator, long start, long size, long leafFlags, long tableFlags, PageSize largest) {
    if (((start | size) & 0xFFF) != 0 || size <= 0) {
      throw new IllegalArgumentException(String.format("range 0x%x + 0x%x is not whole pages", start, size));
    }
    if (!mode.isLongMode() && Long.compareUnsigned(start + size, 1L << 32) > 0) {
      throw new IllegalArgumentException("an identity map in " + mode.cliName() + " paging ends at 4 GiB");
    }
    this.allocator = allocator;
    pages.clear();
    entriesWritten = 0;
    return table(mode.levels(), 0, start, start + size, leafFlags, tableFlags, largest);
  }

  /** Table pages of the last build in allocation order, root first. */
  public List<TablePage> tablePages() {
    return List.copyOf(pages);
  }

  public long entriesWritten() {
    return entriesWritten;
  }

  /** Composes the table at {@code level} covering {@code [tableBase, tableBase + span)}, clipped to [start, end). */
  private long table(int level, long tableBase, long start, long end, long leafFlags, long tableFlags, PageSize largest) {
    long frame = allocator.allocateFrame();
    pages.add(new TablePage(frame, level, PagingMode.entryName(level)));
    byte[] buf = scratch[level];
    int shift = mode.shift(level);
    long span = 1L << shift;
    int entries = mode.entriesPerTable(level);
    long first = Long.compareUnsigned(start, tableBase) > 0 ? (start - tableBase) >>> shift : 0;
    long lastExclusive = Math.min(entries, ((end - 1 - tableBase) >>> shift) + 1);
    boolean bits32 = mode == PagingMode.BITS32;
    boolean whole = Long.compareUnsigned(start, tableBase) <= 0
        && Long.compareUnsigned(end - 1, tableBase + entries * span - 1) >= 0;
    if (whole && !bits32 && (level == 1 || mode.leafAllowed(level, largest))) {
      // leaves from end to end, each mapping the next span: one series stored straight into the
      // frame (no scratch page, no zeroing: every byte is written)
      memory.writeU64Series(frame, entries, tableBase | leafFlags | (level == 1 ? 0 : PS), span);
      entriesWritten += entries;
      return frame;
    }
    Arrays.fill(buf, (byte) 0);
    if (level == 1) {
      long pa = tableBase + (first << 12);
      if (bits32) {
        int flags = (int) (leafFlags & 0xFFF);
        for (long i = first; i < lastExclusive; i++, pa += 4096) {
          LE32.set(buf, (int) (i << 2), (int) pa | flags);
        }
      } else {
        for (long i = first; i < lastExclusive; i++, pa += 4096) {
          LE64.set(buf, (int) (i << 3), pa | leafFlags);
        }
      }
      entriesWritten += lastExclusive - first;
    } else {
      for (long i = first; i < lastExclusive; i++) {
        long base = tableBase + (i << shift);
        long lo = Math.max(base, start);
        long hi = Math.min(base + span, end);
        long entry;
        if (lo == base && hi - lo == span && mode.leafAllowed(level, largest)) {
          entry = bits32 ? (base & 0xFFC0_0000L) | (((base >>> 32) & 0xFF) << 13) | (leafFlags & 0xFFF) | PS
              : base | leafFlags | PS;
        } else {
          long child = table(level - 1, base, lo, hi, leafFlags, tableFlags, largest);
          boolean pdpt = mode == PagingMode.PAE && level == 3;
          entry = child | (pdpt ? P : bits32 ? tableFlags & 0xFFF : tableFlags);
        }
        if (bits32) {
          LE32.set(buf, (int) (i << 2), (int) entry);
        } else {
          LE64.set(buf, (int) (i << 3), entry);
        }
        entriesWritten++;
      }
    }
    memory.write(frame, buf, 0, buf.length);
    return frame;
  }
}
