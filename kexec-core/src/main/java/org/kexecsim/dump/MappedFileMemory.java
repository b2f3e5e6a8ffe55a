package org.kexecsim.dump;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * Read-only physical memory backed by a file mapped with java.lang.foreign: each {@link Extent}
 * says where a physical range lives in the file, and the bytes past {@code fileSize} up to
 * {@code memSize} read as zero (ELF gABI: "If the segment's memory size p_memsz is larger than
 * the file size p_filesz, the extra bytes are defined to hold the value 0").
 *
 * <p>Nothing is copied to the heap; a read touches only the file pages it needs. Safe for
 * concurrent readers when the segment's arena is shared.
 */
public final class MappedFileMemory implements DumpMemory {
  private static final ValueLayout.OfLong U64 = ElfConstants.U64;
  private static final ValueLayout.OfInt U32 = ElfConstants.U32;
  private static final ValueLayout.OfShort U16 = ElfConstants.U16;

  /** {@code [physical, physical + memSize)} read from {@code [fileOffset, fileOffset + fileSize)}. */
  public record Extent(long physical, long memSize, long fileOffset, long fileSize) {}

  private final MemorySegment file;
  private final List<Extent> extents;
  private final long[] starts;
  private final long[] memSizes;
  private final long[] fileOffsets;
  private final long[] fileSizes;
  private final RamMap ramMap;
  /** Where the file holds data (SEEK_DATA/SEEK_HOLE), or null when unknown: then all of it may. */
  private final FileDataExtents data;
  /** Last extent hit; an int is read and written atomically, and every use re-checks bounds. */
  private int hint;

  /** Extents must be sorted by physical address, non-overlapping, and inside {@code file}. */
  MappedFileMemory(MemorySegment file, List<Extent> sortedExtents) {
    this(file, sortedExtents, null);
  }

  MappedFileMemory(MemorySegment file, List<Extent> sortedExtents, FileDataExtents data) {
    this.file = file;
    this.data = data;
    this.extents = List.copyOf(sortedExtents);
    int n = extents.size();
    starts = new long[n];
    memSizes = new long[n];
    fileOffsets = new long[n];
    fileSizes = new long[n];
    List<RamRange> ranges = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Extent e = extents.get(i);
      starts[i] = e.physical();
      memSizes[i] = e.memSize();
      fileOffsets[i] = e.fileOffset();
      fileSizes[i] = e.fileSize();
      ranges.add(RamRange.usable(e.physical(), e.memSize()));
    }
    this.ramMap = RamMap.of(ranges);
  }

  @Override
  public RamMap ramMap() {
    return ramMap;
  }

  public List<Extent> extents() {
    return extents;
  }

  /** A shared-arena mapping is safe for concurrent readers. */
  @Override
  public boolean concurrentReads() {
    return true;
  }

  /**
   * Index of the extent holding {@code physical}, or -1: the last hit, else the RAM map's search
   * (its ranges are the extents, in the same order: both sorted, none empty or overlapping).
   */
  private int find(long physical) {
    int h = hint;
    if (Long.compareUnsigned(physical - starts[h], memSizes[h]) < 0) {
      return h;
    }
    int i = ramMap.indexOf(physical);
    if (i >= 0) {
      hint = i;
    }
    return i;
  }

  /** File offset of {@code [physical, physical+length)} if it lies in one extent's file bytes, else -1. */
  private long fileOffsetOf(long physical, long length) {
    int i = find(physical);
    if (i < 0) {
      return -1;
    }
    long off = physical - starts[i];
    return off + length <= fileSizes[i] && off + length >= off ? fileOffsets[i] + off : -1;
  }

  @Override
  public int readU8(long physical) {
    int i = find(physical);
    if (i < 0) {
      throw outside(physical, 1);
    }
    long off = physical - starts[i];
    return off < fileSizes[i] ? file.get(ValueLayout.JAVA_BYTE, fileOffsets[i] + off) & 0xff : 0;
  }

  @Override
  public int readU16(long physical) {
    long at = fileOffsetOf(physical, 2);
    return at >= 0 ? file.get(U16, at) & 0xffff : (int) readStraddling(physical, 2);
  }

  @Override
  public long readU32(long physical) {
    long at = fileOffsetOf(physical, 4);
    return at >= 0 ? file.get(U32, at) & 0xFFFF_FFFFL : readStraddling(physical, 4);
  }

  @Override
  public long readU64(long physical) {
    long at = fileOffsetOf(physical, 8);
    return at >= 0 ? file.get(U64, at) : readStraddling(physical, 8);
  }

  @Override
  public void read(long physical, byte[] dst, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, dst.length);
    check(physical, length);
    int done = 0;
    while (done < length) {
      long pa = physical + done;
      int i = find(pa);
      long off = pa - starts[i];
      int n = (int) Math.min(length - done, memSizes[i] - off);
      int fromFile = (int) Math.max(0, Math.min(n, fileSizes[i] - off));
      if (fromFile > 0) {
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, fileOffsets[i] + off, dst, offset + done, fromFile);
      }
      Arrays.fill(dst, offset + done + fromFile, offset + done + n, (byte) 0);
      done += n;
    }
  }

  /**
   * The file bytes holding {@code [physical, physical+length)}, when they lie in the file part of
   * one extent; empty when the range crosses an extent or reaches zero-filled memory. Lets
   * analyses compare and hash straight from the mapping.
   */
  public Optional<MemorySegment> fileBacked(long physical, long length) {
    long at = fileOffsetOf(physical, length);
    return at >= 0 ? Optional.of(file.asSlice(at, length)) : Optional.empty();
  }

  @Override
  public boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    if (other instanceof MappedFileMemory o) {
      long a = fileOffsetOf(physical, PAGE_SIZE);
      long b = o.fileOffsetOf(otherPhysical, PAGE_SIZE);
      if (a >= 0 && b >= 0) {
        return MemorySegment.mismatch(file, a, a + PAGE_SIZE, o.file, b, b + PAGE_SIZE) < 0;
      }
    }
    return DumpMemory.super.pageEquals(physical, other, otherPhysical);
  }

  /** False only for pages wholly in a zero-filled tail, a hole of a sparse file, or outside RAM. */
  @Override
  public boolean mayBeNonZero(long physical) {
    long page = physical & -PAGE_SIZE;
    for (long pa = page; pa - page < PAGE_SIZE; ) {
      int i = find(pa);
      if (i < 0) {
        pa = nextStart(pa);
        continue;
      }
      long off = pa - starts[i];
      if (off < fileSizes[i]) {
        long len = Math.min(page + PAGE_SIZE - pa, fileSizes[i] - off);
        if (data == null || data.hasData(fileOffsets[i] + off, len)) {
          return true;
        }
        pa += len;
        continue;
      }
      pa = starts[i] + memSizes[i];
      if (pa == 0) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether any byte of {@code [start, end)} may be non-zero: false when every extent part in it
   * is a zero-filled tail, a hole of the sparse file, or outside RAM. O(extents touched x log
   * data extents), so a scan can skip terabytes of holes without asking page by page.
   */
  @Override
  public boolean mayHaveData(long start, long end) {
    int i = lowerExtent(start);
    for (; i < starts.length && Long.compareUnsigned(starts[i], end) < 0; i++) {
      long lo = Math.max(start, starts[i]) - starts[i];
      long hi = Math.min(end - starts[i], Math.min(memSizes[i], fileSizes[i]));
      if (lo >= hi) {
        continue;
      }
      if (data == null || data.hasData(fileOffsets[i] + lo, hi - lo)) {
        return true;
      }
    }
    return false;
  }

  /** The first extent that ends after {@code physical}. */
  private int lowerExtent(long physical) {
    int lo = 0;
    int hi = starts.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(starts[mid] + memSizes[mid], physical) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private long nextStart(long pa) {
    for (long s : starts) {
      if (Long.compareUnsigned(s, pa) > 0) {
        return s;
      }
    }
    return (pa & -PAGE_SIZE) + PAGE_SIZE;
  }

  private void check(long physical, long length) {
    DumpMemory.checkRange(ramMap, physical, length);
  }

  private static PhysicalAccessException outside(long physical, long length) {
    return DumpMemory.outside(physical, length);
  }
}
