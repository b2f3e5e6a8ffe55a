package org.kexecsim.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Physical memory whose 4 KiB frames come into being on first write; memory never written reads
 * as zero. A machine with a 64 TiB RAM map costs only the frames it touches.
 *
 * <p>Frames live in a flat window (one array indexed by page frame number over the dense part
 * of memory: a lookup is one load, which is what a page walk pays per level) and, outside it, in
 * a directory keyed by page frame number. Not thread-safe.
 */
public final class SparseMemory implements PhysicalMemory {
  private static final VarHandle LE16 =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE32 =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE64 =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final int OFFSET_MASK = PAGE_SIZE - 1;

  // Frames hang off a two-level directory indexed by pfn: chunks of 2^15 frames (128 MiB of
  // physical space, a 128 KiB array of references), so a lookup is two dependent loads and
  // page-table pages allocated together share a chunk that stays in cache. Chunks below 256 TiB
  // sit in a directory array grown on demand; the rare chunks above it live in a hash map.
  private static final int CHUNK_SHIFT = 15;
  private static final int CHUNK_FRAMES = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_FRAMES - 1;
  private static final long DIRECT_CHUNKS = 1L << (48 - PAGE_SHIFT - CHUNK_SHIFT);

  // The window: frames [windowBase, windowBase + window.length), chunk-aligned, below 256 TiB.
  // It grows (doubling, so filling it costs linear time) while it stays dense: at most
  // WINDOW_SLOTS_PER_FRAME slots per present frame, i.e. at most 6% of the frames' own bytes in
  // references, and at most 2^24 slots (64 GiB of physical space). Frames in its range live only
  // in it; growing moves the directory's chunks it covers into it.
  private static final int WINDOW_SLOTS_PER_FRAME = 64;
  private static final int WINDOW_MAX = 1 << 24;
  private static final byte[][] NO_WINDOW = new byte[0][];

  private final RamMap ramMap;
  private byte[][] window = NO_WINDOW;
  private long windowBase;
  private byte[][][] directory = new byte[16][][];
  private final java.util.HashMap<Long, byte[][]> highChunks = new java.util.HashMap<>();
  private int count;

  public SparseMemory(RamMap ramMap) {
    this.ramMap = ramMap;
  }

  /** A copy whose frames are independent of this memory's: a snapshot of the machine. */
  public SparseMemory copy() {
    SparseMemory c = new SparseMemory(ramMap);
    forEachFrame((frame, pfn) -> c.insert(pfn, frame.clone()));
    return c;
  }

  @Override
  public RamMap ramMap() {
    return ramMap;
  }

  /** Frames materialised so far. */
  public int framesPresent() {
    return count;
  }

  /**
   * Bytes this memory holds on the heap, counted from its structures (frames, frame-directory
   * chunks and the directory itself, at 8 bytes a reference): what a machine costs, whatever its
   * RAM map says.
   */
  public long retainedBytes() {
    long chunks = highChunks.size();
    for (byte[][] c : directory) {
      if (c != null) {
        chunks++;
      }
    }
    return (long) count * PAGE_SIZE + (chunks * CHUNK_FRAMES + window.length + directory.length) * 8L;
  }

  /** The page frame numbers that have been written, ascending. */
  public long[] presentFrameNumbers() {
    long[] out = new long[count];
    int[] n = {0};
    forEachFrame((frame, pfn) -> out[n[0]++] = pfn);
    Arrays.sort(out);
    return out;
  }

  /** The written frames, coalesced into ascending runs. */
  @Override
  public Optional<List<Region>> populatedRegions() {
    long[] pfns = presentFrameNumbers();
    List<Region> out = new ArrayList<>();
    int i = 0;
    while (i < pfns.length) {
      int j = i;
      while (j + 1 < pfns.length && pfns[j + 1] == pfns[j] + 1) {
        j++;
      }
      out.add(new Region(pfns[i] << PAGE_SHIFT, (long) (j - i + 1) << PAGE_SHIFT));
      i = j + 1;
    }
    return Optional.of(List.copyOf(out));
  }

  @Override
  public boolean mayBeNonZero(long physical) {
    return frame(physical >>> PAGE_SHIFT) != null;
  }

  // ---- loads ---------------------------------------------------------------------------------

  @Override
  public int readU8(long physical) {
    byte[] f = frameForRead(physical, 1);
    return f == null ? 0 : f[(int) physical & OFFSET_MASK] & 0xff;
  }

  @Override
  public int readU16(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 2) {
      return (int) readStraddling(physical, 2);
    }
    byte[] f = frameForRead(physical, 2);
    return f == null ? 0 : (short) LE16.get(f, off) & 0xffff;
  }

  @Override
  public long readU32(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 4) {
      return readStraddling(physical, 4);
    }
    byte[] f = frameForRead(physical, 4);
    return f == null ? 0 : (int) LE32.get(f, off) & 0xffff_ffffL;
  }

  @Override
  public long readU64(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 8) {
      return readStraddling(physical, 8);
    }
    byte[] f = frameForRead(physical, 8);
    return f == null ? 0 : (long) LE64.get(f, off);
  }

  /**
   * The window's aligned loads back to back with nothing between them but the frame lookup, so
   * that their misses overlap; anything else (a straddling or unaligned load, a frame outside
   * the window or never written) goes through {@link #readU64}.
   */
  @Override
  public void readU64s(long[] addresses, long[] values, int count) {
    byte[][] w = window;
    long base = windowBase;
    for (int j = 0; j < count; j++) {
      long pa = addresses[j];
      long i = (pa >>> PAGE_SHIFT) - base;
      byte[] f;
      if ((pa & 7) == 0 && i >= 0 && i < w.length && (f = w[(int) i]) != null) {
        values[j] = (long) LE64.get(f, (int) pa & OFFSET_MASK);
      } else {
        values[j] = readU64(pa);
      }
    }
  }

  private long readStraddling(long physical, int bytes) {
    checkRange(physical, bytes);
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = (v << 8) | readU8(physical + i);
    }
    return v;
  }

  // ---- stores --------------------------------------------------------------------------------

  @Override
  public void writeU8(long physical, int value) {
    frameForWrite(physical, 1)[(int) physical & OFFSET_MASK] = (byte) value;
  }

  @Override
  public void writeU16(long physical, int value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 2) {
      writeStraddling(physical, value, 2);
      return;
    }
    LE16.set(frameForWrite(physical, 2), off, (short) value);
  }

  @Override
  public void writeU32(long physical, long value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 4) {
      writeStraddling(physical, value, 4);
      return;
    }
    LE32.set(frameForWrite(physical, 4), off, (int) value);
  }

  @Override
  public void writeU64(long physical, long value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 8) {
      writeStraddling(physical, value, 8);
      return;
    }
    LE64.set(frameForWrite(physical, 8), off, value);
  }

  private void writeStraddling(long physical, long value, int bytes) {
    checkRange(physical, bytes);
    for (int i = 0; i < bytes; i++) {
      writeU8(physical + i, (int) (value >>> (8 * i)));
    }
  }

  // ---- bulk ----------------------------------------------------------------------------------

  @Override
  public void read(long physical, byte[] dst, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, dst.length);
    checkRange(physical, length);
    int done = 0;
    while (done < length) {
      long pa = physical + done;
      int off = (int) pa & OFFSET_MASK;
      int n = Math.min(length - done, PAGE_SIZE - off);
      byte[] f = frame(pa >>> PAGE_SHIFT);
      if (f == null) {
        Arrays.fill(dst, offset + done, offset + done + n, (byte) 0);
      } else {
        System.arraycopy(f, off, dst, offset + done, n);
      }
      done += n;
    }
  }

  @Override
  public void write(long physical, byte[] src, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, src.length);
    checkRange(physical, length);
    int done = 0;
    while (done < length) {
      long pa = physical + done;
      int off = (int) pa & OFFSET_MASK;
      int n = Math.min(length - done, PAGE_SIZE - off);
      System.arraycopy(src, offset + done, frameOrCreate(pa >>> PAGE_SHIFT), off, n);
      done += n;
    }
  }

  @Override
  public void writeU64Series(long physical, int count, long first, long step) {
    if ((physical & 7) != 0) {
      PhysicalMemory.super.writeU64Series(physical, count, first, step);
      return;
    }
    checkRange(physical, 8L * count);
    long value = first;
    int done = 0;
    while (done < count) {
      long pa = physical + 8L * done;
      int off = (int) pa & OFFSET_MASK;
      int n = Math.min(count - done, (PAGE_SIZE - off) >>> 3);
      byte[] f = frameOrCreate(pa >>> PAGE_SHIFT);
      for (int i = 0; i < n; i++, off += 8, value += step) {
        LE64.set(f, off, value);
      }
      done += n;
    }
  }

  @Override
  public void copyPage(long srcPhysical, long dstPhysical) {
    checkRange(srcPhysical, PAGE_SIZE);
    checkRange(dstPhysical, PAGE_SIZE);
    byte[] src = frame(srcPhysical >>> PAGE_SHIFT);
    long dstPfn = dstPhysical >>> PAGE_SHIFT;
    if (src == null) {
      byte[] dst = frame(dstPfn);
      if (dst != null) {
        Arrays.fill(dst, (byte) 0);
      }
      return;
    }
    System.arraycopy(src, 0, frameOrCreate(dstPfn), 0, PAGE_SIZE);
  }

  /** Makes this memory's frame at {@code physical} a copy of {@code source}'s. */
  public void copyPageFrom(PhysicalMemory source, long physical) {
    long page = physical & -PAGE_SIZE;
    checkRange(page, PAGE_SIZE);
    source.read(page, frameOrCreate(page >>> PAGE_SHIFT), 0, PAGE_SIZE);
  }

  @Override
  public boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    if (other instanceof SparseMemory o) {
      checkRange(physical, PAGE_SIZE);
      o.checkRange(otherPhysical, PAGE_SIZE);
      byte[] a = frame(physical >>> PAGE_SHIFT);
      byte[] b = o.frame(otherPhysical >>> PAGE_SHIFT);
      if (a == null && b == null) {
        return true;
      }
      if (a == null || b == null) {
        return isZero(a == null ? b : a);
      }
      return Arrays.equals(a, b);
    }
    return PhysicalMemory.super.pageEquals(physical, other, otherPhysical);
  }

  private static boolean isZero(byte[] frame) {
    return Arrays.mismatch(frame, ZERO_PAGE) < 0;
  }

  private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

  // ---- frame directory -----------------------------------------------------------------------

  private byte[] frameForRead(long physical, int length) {
    byte[] f = frame(physical >>> PAGE_SHIFT);
    if (f == null) {
      checkRange(physical, length);
    }
    return f;
  }

  private byte[] frameForWrite(long physical, int length) {
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = frame(pfn);
    if (f != null) {
      return f;
    }
    checkRange(physical, length);
    return create(pfn);
  }

  private byte[] frameOrCreate(long pfn) {
    byte[] f = frame(pfn);
    return f != null ? f : create(pfn);
  }

  private void checkRange(long physical, long length) {
    if (Long.compareUnsigned(physical + length - 1, physical) < 0) {
      throw PhysicalAccessException.wraps(physical, length);
    }
    if (!ramMap.containsRange(physical, length)) {
      throw PhysicalAccessException.outsideRam(physical, length);
    }
  }

  private byte[] frame(long pfn) {
    byte[][] w = window;
    long i = pfn - windowBase;
    if (i >= 0 && i < w.length) {
      return w[(int) i];
    }
    return outsideWindow(pfn);
  }

  private byte[] outsideWindow(long pfn) {
    long chunkIndex = pfn >>> CHUNK_SHIFT;
    byte[][] chunk;
    if (chunkIndex < directory.length) {
      chunk = directory[(int) chunkIndex];
    } else if (chunkIndex < DIRECT_CHUNKS) {
      return null;
    } else {
      chunk = highChunks.get(chunkIndex);
    }
    if (chunk == null) {
      return null;
    }
    return chunk[(int) pfn & CHUNK_MASK];
  }

  private byte[] create(long pfn) {
    byte[] f = new byte[PAGE_SIZE];
    insert(pfn, f);
    return f;
  }

  private void insert(long pfn, byte[] f) {
    if (pfn - windowBase >= window.length || pfn < windowBase) {
      growWindowTo(pfn);
    }
    long i = pfn - windowBase;
    if (i >= 0 && i < window.length) {
      if (window[(int) i] == null) {
        count++;
      }
      window[(int) i] = f;
      return;
    }
    long chunkIndex = pfn >>> CHUNK_SHIFT;
    byte[][] chunk;
    if (chunkIndex < DIRECT_CHUNKS) {
      if (chunkIndex >= directory.length) {
        directory = Arrays.copyOf(directory, (int) Math.min(DIRECT_CHUNKS, Math.max(chunkIndex + 1, directory.length * 2L)));
      }
      chunk = directory[(int) chunkIndex];
      if (chunk == null) {
        chunk = directory[(int) chunkIndex] = new byte[CHUNK_FRAMES][];
      }
    } else {
      chunk = highChunks.computeIfAbsent(chunkIndex, k -> new byte[CHUNK_FRAMES][]);
    }
    if (chunk[(int) pfn & CHUNK_MASK] == null) {
      count++;
    }
    chunk[(int) pfn & CHUNK_MASK] = f;
  }

  /**
   * Widens the window to cover {@code pfn} if it stays dense (see WINDOW_SLOTS_PER_FRAME), moving
   * in the directory's chunks it now covers; otherwise leaves it, and the frame goes to the
   * directory.
   */
  private void growWindowTo(long pfn) {
    if (pfn >>> CHUNK_SHIFT >= DIRECT_CHUNKS) {
      return;
    }
    long lo = window.length == 0 ? pfn & -CHUNK_FRAMES : Math.min(windowBase, pfn & -CHUNK_FRAMES);
    long hi = window.length == 0 ? lo + CHUNK_FRAMES : Math.max(windowBase + window.length, (pfn & -CHUNK_FRAMES) + CHUNK_FRAMES);
    long doubled = Math.max(hi - lo, 2L * window.length);
    long limit = Math.min(WINDOW_MAX, Math.max(2L * CHUNK_FRAMES, (count + 1L) * WINDOW_SLOTS_PER_FRAME));
    if (hi - lo > limit) {
      return;
    }
    if (doubled <= limit) { // grow ahead, in the direction of pfn, so that a fill copies linearly
      if (pfn < windowBase) {
        lo = Math.max(0, hi - doubled);
      } else {
        hi = Math.min(DIRECT_CHUNKS << CHUNK_SHIFT, lo + doubled);
      }
    }
    byte[][] grown = new byte[(int) (hi - lo)][];
    if (window.length != 0) {
      System.arraycopy(window, 0, grown, (int) (windowBase - lo), window.length);
    }
    for (long c = lo >>> CHUNK_SHIFT; c < hi >>> CHUNK_SHIFT && c < directory.length; c++) {
      byte[][] chunk = directory[(int) c];
      if (chunk != null) {
        System.arraycopy(chunk, 0, grown, (int) ((c << CHUNK_SHIFT) - lo), CHUNK_FRAMES);
        directory[(int) c] = null;
      }
    }
    window = grown;
    windowBase = lo;
  }

  /** Calls {@code action} for each present frame's pfn, in no particular order. */
  private void forEachFrame(java.util.function.ObjLongConsumer<byte[]> action) {
    for (int i = 0; i < window.length; i++) {
      if (window[i] != null) {
        action.accept(window[i], windowBase + i);
      }
    }
    for (int c = 0; c < directory.length; c++) {
      forEachInChunk(c, directory[c], action);
    }
    for (var e : highChunks.entrySet()) {
      forEachInChunk(e.getKey(), e.getValue(), action);
    }
  }

  private static void forEachInChunk(long chunkIndex, byte[][] chunk, java.util.function.ObjLongConsumer<byte[]> action) {
    if (chunk == null) {
      return;
    }
    for (int i = 0; i < chunk.length; i++) {
      if (chunk[i] != null) {
        action.accept(chunk[i], (chunkIndex << CHUNK_SHIFT) | i);
      }
    }
  }
}
