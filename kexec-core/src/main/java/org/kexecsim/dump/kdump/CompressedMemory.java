package org.kexecsim.dump.kdump;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.kexecsim.dump.DumpMemory;
import org.kexecsim.dump.MappedFileMemory;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * The physical memory of a kdump-compressed dump (one file, a flattened stream, or the parts of
 * a split dump), read page by page: a frame's page_desc is found by counting the dumpable frames
 * before it in its part (makedumpfile.c write_kdump_pages_cyclic writes one 24-byte descriptor
 * per dumpable frame of the part's pfn range, in pfn order), then its data is read and decoded.
 * A small direct-mapped cache of decoded pages keeps memory bounded whatever the dump's size.
 *
 * <p>RAM is what the 1st bitmap marks; a RAM page the 2nd bitmap does not mark is <em>excluded</em>
 * ({@link #isExcluded}) and reading it throws {@link PageExcludedException}. Safe for concurrent
 * readers.
 */
public final class CompressedMemory implements DumpMemory {
  static final int DESC_SIZE = 24;
  private static final int PAGE = PAGE_SIZE;
  private static final int CACHE = 256; // 1 MiB of decoded pages
  private static final byte[] ZERO_PAGE = new byte[PAGE];
  /** More RAM ranges than this is no machine's e820 map; refusing keeps a hostile bitmap from costing gigabytes. */
  static final int MAX_RAM_RANGES = 1 << 20;
  private static final ValueLayout.OfLong U64 = DumpBytes.U64;
  private static final ValueLayout.OfInt U32 = DumpBytes.U32;
  private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

  /** One file's share of the frames: {@code [startPfn, endPfn)}, descriptors from {@code descBase}. */
  record Part(DumpBytes bytes, long startPfn, long endPfn, long descBase, long rankBase) {}

  private record Cached(long pfn, byte[] data) {}

  private final Part[] parts;
  private final PageBitmap ram;
  private final PageBitmap dumpable;
  private final RamMap ramMap;
  private final long excludedBytes;
  private final int dumpLevel;
  private final Cached[] cache = new Cached[CACHE];
  // Per thread, shared by every dump: decoders keep native (zlib) state, so one set per thread.
  private static final ThreadLocal<PageCodec.Decoders> DECODERS = ThreadLocal.withInitial(PageCodec.Decoders::new);
  private static final ThreadLocal<byte[]> STORED = ThreadLocal.withInitial(() -> new byte[PAGE]);
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[PAGE]);
  private static final ThreadLocal<byte[]> STREAMED = ThreadLocal.withInitial(() -> new byte[PAGE]);

  CompressedMemory(List<Part> parts, PageBitmap ram, PageBitmap dumpable, int dumpLevel, String name) {
    this.parts = parts.toArray(Part[]::new);
    this.ram = ram;
    this.dumpable = dumpable;
    this.dumpLevel = dumpLevel;
    List<RamRange> ranges = new ArrayList<>();
    long excluded = 0;
    for (long pfn = ram.next(0, true); pfn < ram.frames(); ) {
      long end = ram.next(pfn, false);
      if (ranges.size() == MAX_RAM_RANGES) {
        throw new org.kexecsim.dump.MalformedDumpException(name, parts.getFirst().bytes().size() > 0 ? PAGE : 0,
            "the 1st bitmap marks more than " + MAX_RAM_RANGES + " separate RAM ranges; no machine has that many");
      }
      ranges.add(RamRange.usable(pfn * PAGE, (end - pfn) * PAGE));
      excluded += (end - pfn) - (dumpable.rank(end) - dumpable.rank(pfn));
      pfn = ram.next(end, true);
    }
    if (ranges.isEmpty()) {
      throw new org.kexecsim.dump.MalformedDumpException(name, PAGE, "the 1st bitmap marks no RAM at all");
    }
    this.ramMap = RamMap.of(ranges);
    this.excludedBytes = excluded * PAGE;
  }

  @Override
  public RamMap ramMap() {
    return ramMap;
  }

  @Override
  public boolean concurrentReads() {
    return true;
  }

  @Override
  public boolean isExcluded(long physical) {
    long pfn = physical >>> PAGE_SHIFT;
    return ram.test(pfn) && !dumpable.test(pfn);
  }

  /**
   * Whether the page at {@code physical} is stored as makedumpfile's shared zero page. At a dump
   * level with bit 1 (zero pages) the kdump-compressed writer does not clear an all-zero page from
   * the 2nd bitmap: it points the page's page_desc at pd_zero, one zero page written first in the
   * part's data area (makedumpfile.c write_kdump_pages_and_bitmap_cyclic and
   * write_kdump_pages_cyclic), so the page costs a descriptor and no data.
   */
  public boolean isSharedZeroPage(long physical) {
    long pfn = physical >>> PAGE_SHIFT;
    if ((dumpLevel & 1) == 0 || !ram.test(pfn) || !dumpable.test(pfn)) {
      return false;
    }
    Part p = partOf(pfn);
    long count = dumpable.rank(Math.min(p.endPfn(), dumpable.frames())) - p.rankBase();
    long dataStart = p.descBase() + count * DESC_SIZE; // cd_page->offset, where pd_zero's page goes
    byte[] d = new byte[DESC_SIZE];
    p.bytes().read(p.descBase() + (dumpable.rank(pfn) - p.rankBase()) * DESC_SIZE, d, 0, DESC_SIZE);
    return MemorySegment.ofArray(d).get(U64, 0) == dataStart;
  }

  @Override
  public long excludedBytes() {
    return excludedBytes;
  }

  /** The dump level makedumpfile was run with (-d), which decided what was excluded. */
  public int dumpLevel() {
    return dumpLevel;
  }

  /** The decoded page of frame {@code pfn}: shared, never to be modified. */
  private byte[] page(long pfn, long physical) {
    int slot = (int) (pfn & (CACHE - 1));
    Cached c = cache[slot];
    if (c != null && c.pfn == pfn) {
      return c.data;
    }
    checkHeld(pfn, physical);
    byte[] data = new byte[PAGE];
    decode(pfn, data);
    cache[slot] = new Cached(pfn, data);
    return data;
  }

  /**
   * The page for a whole-page scan (checksum, diff): from the cache if there, else decoded into
   * this thread's buffer and not cached, so a pass over the dump allocates nothing per page.
   */
  private byte[] streamed(long pfn, long physical) {
    Cached c = cache[(int) (pfn & (CACHE - 1))];
    if (c != null && c.pfn == pfn) {
      return c.data;
    }
    checkHeld(pfn, physical);
    byte[] buf = STREAMED.get();
    decode(pfn, buf);
    return buf;
  }

  private void checkHeld(long pfn, long physical) {
    if (!ram.test(pfn)) {
      throw new PhysicalAccessException(physical, String.format("physical address 0x%x is not in the dump's RAM", physical));
    }
    if (!dumpable.test(pfn)) {
      throw new PageExcludedException(physical, "excluded by makedumpfile dump level " + dumpLevel);
    }
  }

  private Part partOf(long pfn) {
    int lo = 0;
    int hi = parts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (parts[mid].startPfn() <= pfn) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return parts[lo];
  }

  /** Reads frame {@code pfn}'s descriptor and data and decodes it into {@code out}. */
  private void decode(long pfn, byte[] out) {
    Part p = partOf(pfn);
    DumpBytes b = p.bytes();
    long at = p.descBase() + (dumpable.rank(pfn) - p.rankBase()) * DESC_SIZE;
    byte[] d = new byte[DESC_SIZE];
    b.read(at, d, 0, DESC_SIZE);
    MemorySegment desc = MemorySegment.ofArray(d);
    long offset = desc.get(U64, 0);
    long size = desc.get(U32, 8) & 0xFFFF_FFFFL;
    int flags = desc.get(U32, 12);
    PageCodec codec = PageCodec.ofFlags(flags);
    if (codec == null) {
      throw b.bad(at + 12, String.format("page_desc of pfn 0x%x: flags 0x%x name more than one compression", pfn, flags));
    }
    // makedumpfile keeps compressed data only when it is smaller than the page, so no stored page is larger.
    if (size == 0 || size > PAGE) {
      throw b.bad(at + 8, String.format("page_desc of pfn 0x%x: size 0x%x; a stored page is 1 to %d bytes", pfn, size, PAGE));
    }
    if (codec == PageCodec.NONE && size != PAGE) {
      throw b.bad(at + 8, String.format("page_desc of pfn 0x%x: an uncompressed page of 0x%x bytes, not %d", pfn, size, PAGE));
    }
    if (!b.fits(offset, size)) {
      throw b.bad(at, String.format("page_desc of pfn 0x%x: data at 0x%x size 0x%x is past the end of the file (size 0x%x)",
          pfn, offset, size, b.size()));
    }
    byte[] in = STORED.get();
    b.read(offset, in, 0, (int) size);
    String problem = DECODERS.get().decode(codec, in, (int) size, out);
    if (problem != null) {
      throw b.bad(offset, String.format("page of pfn 0x%x: %s", pfn, problem));
    }
  }

  private byte[] pageAt(long physical, int bytes) {
    if (bytes > 1 && !ramMap.containsRange(physical, bytes)) {
      throw outside(physical, bytes);
    }
    return page(physical >>> PAGE_SHIFT, physical);
  }

  @Override
  public int readU8(long physical) {
    return pageAt(physical, 1)[(int) (physical & (PAGE - 1))] & 0xff;
  }

  @Override
  public int readU16(long physical) {
    int off = (int) (physical & (PAGE - 1));
    return off <= PAGE - 2 ? MemorySegment.ofArray(pageAt(physical, 2)).get(U16, off) & 0xffff : (int) readStraddling(physical, 2);
  }

  @Override
  public long readU32(long physical) {
    int off = (int) (physical & (PAGE - 1));
    return off <= PAGE - 4 ? MemorySegment.ofArray(pageAt(physical, 4)).get(U32, off) & 0xFFFF_FFFFL : readStraddling(physical, 4);
  }

  @Override
  public long readU64(long physical) {
    int off = (int) (physical & (PAGE - 1));
    return off <= PAGE - 8 ? MemorySegment.ofArray(pageAt(physical, 8)).get(U64, off) : readStraddling(physical, 8);
  }

  @Override
  public void read(long physical, byte[] dst, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, dst.length);
    check(physical, length);
    int done = 0;
    while (done < length) {
      long pa = physical + done;
      int in = (int) (pa & (PAGE - 1));
      int n = Math.min(length - done, PAGE - in);
      byte[] src = n == PAGE ? streamed(pa >>> PAGE_SHIFT, pa) : page(pa >>> PAGE_SHIFT, pa);
      System.arraycopy(src, in, dst, offset + done, n);
      done += n;
    }
  }

  @Override
  public boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    if (other instanceof MappedFileMemory m) {
      if (!m.mayBeNonZero(otherPhysical)) {
        // a hole of a sparse file: compare with zeros rather than map a page of them
        byte[] mine = streamed(physical >>> PAGE_SHIFT, physical & -PAGE);
        return java.util.Arrays.mismatch(mine, ZERO_PAGE) < 0;
      }
      var seg = m.fileBacked(otherPhysical, PAGE);
      if (seg.isPresent()) {
        byte[] mine = streamed(physical >>> PAGE_SHIFT, physical & -PAGE);
        return MemorySegment.mismatch(MemorySegment.ofArray(mine), 0, PAGE, seg.get(), 0, PAGE) < 0;
      }
    }
    // the other side first: if it is a compressed dump too, it uses this thread's streaming buffer
    byte[] theirs = SCRATCH.get();
    other.read(otherPhysical, theirs, 0, PAGE);
    byte[] mine = streamed(physical >>> PAGE_SHIFT, physical & -PAGE);
    return java.util.Arrays.equals(mine, theirs);
  }

  /** RAM pages may hold data (excluded ones too: unknown is not zero); holes do not. */
  @Override
  public boolean mayBeNonZero(long physical) {
    return ram.test(physical >>> PAGE_SHIFT);
  }

  private void check(long physical, long length) {
    DumpMemory.checkRange(ramMap, physical, length);
  }

  private static PhysicalAccessException outside(long physical, long length) {
    return DumpMemory.outside(physical, length);
  }
}
