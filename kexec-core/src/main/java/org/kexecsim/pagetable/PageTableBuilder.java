package org.kexecsim.pagetable;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;
import static org.kexecsim.mmu.PageTableEntry.XD;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;

/**
 * Writes x86 paging structures into physical memory: maps ranges with the largest page sizes
 * their alignment allows (up to a limit), allocates table pages from a {@link FrameAllocator}
 * and reports every page it allocated and every large page it had to split.
 *
 * <p>Entry formats follow SDM Vol. 3A §4.3–4.5: 32-bit paging uses 4-byte entries and 4 MiB
 * leaves with PSE-36 high bits; PAE has a 4-entry PDPT whose entries carry only P (every other
 * low bit is reserved there, §4.4.1); 4- and 5-level paging use 2 MiB and 1 GiB leaves.
 * Not thread-safe.
 */
public final class PageTableBuilder {
  private static final byte[] ZERO_PAGE = new byte[PhysicalMemory.PAGE_SIZE];
  /** Address bits of a 64-bit entry: 51:12. MAXPHYADDR is the walker's business, not the builder's. */
  private static final long ADDRESS_MASK = PagingMode.FRAME_MASK_64;

  private static final long NEW_ROOT = -1;

  private final PhysicalMemory memory;
  private final PagingMode mode;
  private final FrameAllocator allocator;
  private final long root;
  private final List<TablePage> pages = new ArrayList<>();
  private long entriesWritten;
  private int splits;

  private PageTableBuilder(PhysicalMemory memory, PagingMode mode, FrameAllocator allocator, long root) {
    if (mode == PagingMode.DISABLED) {
      throw new IllegalArgumentException("no page tables without paging");
    }
    this.memory = memory;
    this.mode = mode;
    this.allocator = allocator;
    this.root = root == NEW_ROOT ? newTable(mode.levels()) : root;
  }

  /** A new, empty hierarchy whose root table comes from {@code allocator}. */
  public static PageTableBuilder create(PhysicalMemory memory, PagingMode mode, FrameAllocator allocator) {
    return new PageTableBuilder(memory, mode, allocator, NEW_ROOT);
  }

  /** Extends the hierarchy already rooted at {@code root} (e.g. a live kernel pgd). */
  public static PageTableBuilder onExisting(
      PhysicalMemory memory, PagingMode mode, long root, FrameAllocator allocator) {
    return new PageTableBuilder(memory, mode, allocator, root);
  }

  public long root() {
    return root;
  }

  public PagingMode mode() {
    return mode;
  }

  /** Every table page this builder allocated, in allocation order. */
  public List<TablePage> tablePages() {
    return List.copyOf(pages);
  }

  /** Entries written so far (leaves and table links, including those written by splits). */
  public long entriesWritten() {
    return entriesWritten;
  }

  /** Large pages split into smaller ones so that a mapping or unmapping could proceed. */
  public int splits() {
    return splits;
  }

  /** Maps with kernel table links ({@link PageTableEntry#KERNPG_TABLE}), replacing present leaves. */
  public PageTableBuilder map(long virtual, long physical, long size, long leafFlags, PageSize largest) {
    return map(virtual, physical, size, leafFlags, PageTableEntry.KERNPG_TABLE, largest, Overlap.REPLACE);
  }

  /**
   * Maps {@code [virtual, virtual+size)} to {@code [physical, ...)}.
   *
   * @param leafFlags flags of the leaves in 4 KiB-PTE form (no PS; PS is added to large leaves)
   * @param tableFlags flags of the links to lower tables (ignored for PAE PDPTEs, which get P)
   * @param largest the largest page size to use where alignment allows
   */
  public PageTableBuilder map(
      long virtual,
      long physical,
      long size,
      long leafFlags,
      long tableFlags,
      PageSize largest,
      Overlap overlap) {
    checkRange(virtual, physical, size);
    if (mode == PagingMode.BITS32 && (leafFlags & XD) != 0) {
      throw new IllegalArgumentException("32-bit paging has no XD bit");
    }
    if ((leafFlags & P) == 0) {
      throw new IllegalArgumentException("leaf flags must include P");
    }
    walkRange(root, mode.levels(), virtual, physical, size, leafFlags, tableFlags, largest, overlap);
    return this;
  }

  /** Clears the leaves of {@code [virtual, virtual+size)}, splitting large pages it cuts through. */
  public PageTableBuilder unmap(long virtual, long size) {
    checkRange(virtual, 0, size);
    walkRange(root, mode.levels(), virtual, 0, size, 0, PageTableEntry.KERNPG_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
    return this;
  }

  private void checkRange(long virtual, long physical, long size) {
    if (((virtual | physical | size) & 0xFFF) != 0) {
      throw new IllegalArgumentException(String.format(
          "range va 0x%x pa 0x%x size 0x%x is not page-aligned", virtual, physical, size));
    }
    if (!mode.isLongMode() && Long.compareUnsigned(virtual + size, 1L << 32) > 0) {
      throw new IllegalArgumentException(String.format(
          "va 0x%x + 0x%x is beyond the 4 GiB linear space of %s paging", virtual, size, mode.cliName()));
    }
  }

  /** Maps (leafFlags != 0) or unmaps (leafFlags == 0) the part of a range inside one table. */
  private void walkRange(
      long table,
      int level,
      long va,
      long pa,
      long size,
      long leafFlags,
      long tableFlags,
      PageSize largest,
      Overlap overlap) {
    int shift = mode.shift(level);
    long span = 1L << shift;
    boolean unmapping = leafFlags == 0;
    if (level == 1 && !unmapping && overlap == Overlap.REPLACE) {
      writePtes(table, va, pa, size, leafFlags);
      return;
    }
    boolean largeLeaves = !unmapping && overlap == Overlap.REPLACE && level > 1 && mode.leafAllowed(level, largest);
    while (size != 0) {
      long entryAddress = table + mode.index(va, level) * mode.entryBytes();
      long offset = va & (span - 1);
      long chunk = Math.min(size, span - offset);
      boolean whole = offset == 0 && chunk == span;
      if (largeLeaves && whole && (pa & (span - 1)) == 0) {
        // a run of whole large leaves replacing whatever is there: what the loop below would write
        // for each, without reading the old entries (the 4T/2M identity map is 2 Mi of these)
        long n = Math.min(size >>> shift, mode.entriesPerTable(level) - mode.index(va, level));
        writeLargeLeaves(entryAddress, level, pa, n, span, leafFlags);
        va += n << shift;
        pa += n << shift;
        size -= n << shift;
        continue;
      }
      long e = readEntry(entryAddress);
      boolean present = (e & P) != 0;
      boolean leaf = present && isLeaf(e, level);
      if (unmapping) {
        if (present && whole && (leaf || level == 1)) {
          writeEntry(entryAddress, 0);
        } else if (present && level > 1) {
          long next = leaf ? split(entryAddress, e, level, tableFlags) : mode.tableAddress(e);
          walkRange(next, level - 1, va, 0, chunk, 0, tableFlags, largest, overlap);
        }
      } else if (whole && (pa & (span - 1)) == 0 && mode.leafAllowed(level, largest)) {
        if (!(present && overlap == Overlap.KEEP)) {
          writeEntry(entryAddress, leafEntry(level, pa, leafFlags));
        }
      } else if (level == 1) {
        if (!(present && overlap == Overlap.KEEP)) {
          writeEntry(entryAddress, leafEntry(1, pa, leafFlags));
        }
      } else {
        long next;
        if (!present) {
          // a page table the next call fills whole (writePtes' bulk path) need not be zeroed first
          boolean filledWhole = level - 1 == 1 && whole && overlap == Overlap.REPLACE && mode.entryBytes() == 8;
          next = filledWhole ? allocateTable(level - 1) : newTable(level - 1);
          writeEntry(entryAddress, tableEntry(level, next, tableFlags));
        } else if (leaf) {
          if (overlap == Overlap.KEEP) {
            va += chunk;
            pa += chunk;
            size -= chunk;
            continue;
          }
          next = split(entryAddress, e, level, tableFlags);
        } else {
          next = mode.tableAddress(e);
        }
        walkRange(next, level - 1, va, pa, chunk, leafFlags, tableFlags, largest, overlap);
      }
      va += chunk;
      pa += chunk;
      size -= chunk;
    }
  }

  /** The hot loop: consecutive PTEs of one page table, no reads. */
  private void writePtes(long table, long va, long pa, long size, long leafFlags) {
    int entrySize = mode.entryBytes();
    long address = table + mode.index(va, 1) * entrySize;
    long end = address + (size >>> 12) * entrySize;
    if (entrySize == 8) {
      // one series: one frame lookup per table instead of one per entry (the 64 GiB 4 KiB
      // identity map is 32 Ki whole tables)
      memory.writeU64Series(address, (int) (size >>> 12), pa | leafFlags, 4096);
    } else {
      for (; address != end; address += 4, pa += 4096) {
        memory.writeU32(address, (pa & PagingMode.FRAME_MASK_32) | (leafFlags & 0xFFF));
      }
    }
    entriesWritten += size >>> 12;
  }

  /** {@code n} consecutive large leaves from {@code entryAddress}, mapping from {@code pa} on. */
  private void writeLargeLeaves(long entryAddress, int level, long pa, long n, long span, long leafFlags) {
    int entrySize = mode.entryBytes();
    if (entrySize == 8) { // pa | flags | PS, then each next span up: a series
      memory.writeU64Series(entryAddress, (int) n, leafEntry(level, pa, leafFlags), span);
      entriesWritten += n;
      return;
    }
    for (long i = 0; i < n; i++, entryAddress += entrySize, pa += span) {
      memory.writeU32(entryAddress, leafEntry(level, pa, leafFlags));
    }
    entriesWritten += n;
  }

  /** Replaces a large leaf with a table of next-smaller leaves mapping the same memory. */
  private long split(long entryAddress, long leaf, int level, long tableFlags) {
    long childTable = newTable(level - 1);
    long childSpan = 1L << mode.shift(level - 1);
    long base = mode.leafPhysical(leaf, level, ADDRESS_MASK);
    long flags = (leaf & 0xFFF & ~PS) | (leaf & XD);
    int n = mode.entriesPerTable(level - 1);
    for (int i = 0; i < n; i++) {
      long childPa = base + i * childSpan;
      long childFlags = level - 1 == 1 ? flags : flags | PS;
      writeEntry(childTable + (long) i * mode.entryBytes(), encodeLeaf(level - 1, childPa, childFlags));
    }
    writeEntry(entryAddress, tableEntry(level, childTable, tableFlags));
    splits++;
    return childTable;
  }

  private long newTable(int level) {
    long pa = allocateTable(level);
    memory.write(pa, ZERO_PAGE, 0, ZERO_PAGE.length);
    return pa;
  }

  /** A frame for a table of {@code level}, recorded but not yet written. */
  private long allocateTable(int level) {
    long pa = allocator.allocateFrame();
    if ((pa & 0xFFF) != 0) {
      throw new IllegalStateException(String.format("allocator returned unaligned frame 0x%x", pa));
    }
    if (needsLowTable(level) && Long.compareUnsigned(pa, 1L << 32) >= 0) {
      throw new IllegalStateException(String.format(
          "%s paging needs tables below 4 GiB; allocator returned 0x%x", mode.cliName(), pa));
    }
    pages.add(new TablePage(pa, level, PagingMode.entryName(level)));
    return pa;
  }

  /**
   * Whether a table of {@code level} must sit below 4 GiB: every table of 32-bit paging (its
   * entries hold 32-bit addresses, SDM §4.3), and with PAE only the PDPT, which CR3 locates with
   * 32 bits (SDM §4.4.1); PAE page directories and page tables may sit anywhere, since PDPTEs and
   * PDEs carry 52-bit addresses (SDM Tables 4-8, 4-9).
   */
  private boolean needsLowTable(int level) {
    return mode == PagingMode.BITS32 || (mode == PagingMode.PAE && level == 3);
  }

  // ---- geometry and formats of the mode ------------------------------------------------------

  private boolean isLeaf(long e, int level) {
    return level == 1 || ((e & PS) != 0 && mode.psLeafLevel(level));
  }

  private long leafEntry(int level, long pa, long flags) {
    return encodeLeaf(level, pa, level == 1 ? flags : flags | PS);
  }

  private long encodeLeaf(int level, long pa, long flags) {
    if (mode == PagingMode.BITS32) {
      if (level == 2) {
        // 4 MiB PDE: PA[31:22] in place, PA[39:32] in bits 20:13 (PSE-36, SDM Table 4-4).
        return (pa & 0xFFC0_0000L) | (((pa >>> 32) & 0xFF) << 13) | (flags & 0xFFF);
      }
      return (pa & PagingMode.FRAME_MASK_32) | (flags & 0xFFF);
    }
    return pa | flags;
  }

  private long tableEntry(int level, long next, long tableFlags) {
    if (mode == PagingMode.PAE && level == 3) {
      return next | P; // every other low PDPTE bit is reserved (SDM §4.4.1, Table 4-8)
    }
    if (mode == PagingMode.BITS32) {
      return next | (tableFlags & 0xFFF);
    }
    return next | tableFlags;
  }

  private long readEntry(long address) {
    return mode.readEntry(memory, address);
  }

  private void writeEntry(long address, long value) {
    mode.writeEntry(memory, address, value);
    entriesWritten++;
  }
}
