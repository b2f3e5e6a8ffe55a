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
 * <p>Frames live in a flat window over the densely written part of memory and, outside it, in a
 * directory keyed by page frame number. The window is one array holding its frames side by side:
 * a load there is one load, bounds-checked against a length that stays in the nearest cache —
 * what a page walk pays per level. (A reference per frame adds a load of the reference and of the
 * frame's array header for its bounds: batched walks over 128 MiB of page tables took 23 ns a
 * walk that way and take 15 this way, TranslationBenchmark; 64 KiB slabs of 16 frames, which
 * still load a reference and a header, took 25.) Not thread-safe.
 */
public final class SparseMemory implements PhysicalMemory {
  private static final VarHandle LE16 =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE32 =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE64 =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final int OFFSET_MASK = PAGE_SIZE - 1;

  // Outside the window, frames hang off a two-level directory indexed by pfn: chunks of 2^15
  // frames (128 MiB of physical space, a 128 KiB array of references). Chunks below 256 TiB sit
  // in a directory array grown on demand; the rare chunks above it live in a hash map.
  private static final int CHUNK_SHIFT = 15;
  private static final int CHUNK_FRAMES = 1 << CHUNK_SHIFT;
  private static final int CHUNK_MASK = CHUNK_FRAMES - 1;
  private static final long DIRECT_CHUNKS = 1L << (48 - PAGE_SHIFT - CHUNK_SHIFT);

  // The window: frames [windowBase, windowBase + windowFrames), in multiples of 64 frames (a
  // word of the written bitmap), inside one stretch of RAM (so a frame of it never written reads
  // as zero with no test), at most 2^18 frames (1 GiB: one array). It grows by doubling, so
  // filling it costs linear time, and only while at least half of it is written (the array costs
  // at most twice the frames it holds); frames in its range live only in it, and growing moves
  // the directory's frames it covers into it. A bit per frame says which were written.
  private static final int WINDOW_STEP = 64;
  private static final int WINDOW_MAX = 1 << 18;

  private final RamMap ramMap;
  private byte[] flat = new byte[0];
  private long[] written = new long[0];
  private long windowBase;
  private long windowFrames;
  private byte[][][] directory = new byte[16][][];
  private final java.util.HashMap<Long, byte[][]> highChunks = new java.util.HashMap<>();
  private int count;

  public SparseMemory(RamMap ramMap) {
    this.ramMap = ramMap;
  }

  /** A copy whose frames are independent of this memory's: a snapshot of the machine. */
  public SparseMemory copy() {
    SparseMemory c = new SparseMemory(ramMap);
    forEachFrame(pfn -> {
      byte[] to = c.arrayForWrite(pfn);
      System.arraycopy(array(pfn), base(pfn), to, c.base(pfn), PAGE_SIZE);
    });
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
   * Bytes this memory holds on the heap, counted from its structures (the window, frames,
   * frame-directory chunks, the window's tables and the directory itself, at 8 bytes a
   * reference): what a machine costs, whatever its RAM map says.
   */
  public long retainedBytes() {
    long chunks = highChunks.size();
    for (byte[][] c : directory) {
      if (c != null) {
        chunks++;
      }
    }
    int inWindow = 0;
    for (long w : written) {
      inWindow += Long.bitCount(w);
    }
    return flat.length + (long) (count - inWindow) * PAGE_SIZE
        + (chunks * CHUNK_FRAMES + written.length + directory.length) * 8L;
  }

  /** The page frame numbers that have been written, ascending. */
  public long[] presentFrameNumbers() {
    long[] out = new long[count];
    int[] n = {0};
    forEachFrame(pfn -> out[n[0]++] = pfn);
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
    return array(physical >>> PAGE_SHIFT) != null;
  }

  // ---- loads ---------------------------------------------------------------------------------

  @Override
  public int readU8(long physical) {
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForRead(pfn, physical, 1);
    return f == null ? 0 : f[base(pfn) + ((int) physical & OFFSET_MASK)] & 0xff;
  }

  @Override
  public int readU16(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 2) {
      return (int) readStraddling(physical, 2);
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForRead(pfn, physical, 2);
    return f == null ? 0 : (short) LE16.get(f, base(pfn) + off) & 0xffff;
  }

  @Override
  public long readU32(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 4) {
      return readStraddling(physical, 4);
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForRead(pfn, physical, 4);
    return f == null ? 0 : (int) LE32.get(f, base(pfn) + off) & 0xffff_ffffL;
  }

  @Override
  public long readU64(long physical) {
    long i = (physical >>> PAGE_SHIFT) - windowBase;
    if ((physical & 7) == 0 && i >= 0 && i < windowFrames) { // written or not: RAM, and zero if not
      return (long) LE64.get(flat, (int) (physical - (windowBase << PAGE_SHIFT)));
    }
    return readU64Elsewhere(physical);
  }

  /** {@link #readU64} of anything but an aligned load from the window. */
  private long readU64Elsewhere(long physical) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 8) {
      return readStraddling(physical, 8);
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForRead(pfn, physical, 8);
    return f == null ? 0 : (long) LE64.get(f, base(pfn) + off);
  }

  /**
   * The window's aligned loads back to back with nothing between them but a range test, so that
   * their misses overlap; anything else (a straddling or unaligned load, a frame outside the
   * window) goes through {@link #readU64Elsewhere}.
   */
  @Override
  public void readU64s(long[] addresses, long[] values, int count) {
    byte[] f = flat;
    long start = windowBase << PAGE_SHIFT;
    long bytes = windowFrames << PAGE_SHIFT;
    for (int j = 0; j < count; j++) {
      long pa = addresses[j];
      long at = pa - start;
      if ((pa & 7) == 0 && at >= 0 && at < bytes) {
        values[j] = (long) LE64.get(f, (int) at);
      } else {
        values[j] = readU64Elsewhere(pa);
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
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForWrite(pfn, physical, 1);
    f[base(pfn) + ((int) physical & OFFSET_MASK)] = (byte) value;
  }

  @Override
  public void writeU16(long physical, int value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 2) {
      writeStraddling(physical, value, 2);
      return;
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForWrite(pfn, physical, 2);
    LE16.set(f, base(pfn) + off, (short) value);
  }

  @Override
  public void writeU32(long physical, long value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 4) {
      writeStraddling(physical, value, 4);
      return;
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForWrite(pfn, physical, 4);
    LE32.set(f, base(pfn) + off, (int) value);
  }

  @Override
  public void writeU64(long physical, long value) {
    int off = (int) physical & OFFSET_MASK;
    if (off > PAGE_SIZE - 8) {
      writeStraddling(physical, value, 8);
      return;
    }
    long pfn = physical >>> PAGE_SHIFT;
    byte[] f = arrayForWrite(pfn, physical, 8);
    LE64.set(f, base(pfn) + off, value);
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
      long pfn = pa >>> PAGE_SHIFT;
      byte[] f = array(pfn);
      if (f == null) {
        Arrays.fill(dst, offset + done, offset + done + n, (byte) 0);
      } else {
        System.arraycopy(f, base(pfn) + off, dst, offset + done, n);
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
      long pfn = pa >>> PAGE_SHIFT;
      byte[] f = arrayForWrite(pfn);
      System.arraycopy(src, offset + done, f, base(pfn) + off, n);
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
      long pfn = pa >>> PAGE_SHIFT;
      byte[] f = arrayForWrite(pfn);
      int at = base(pfn) + off;
      long[] times = stepsOf(step);
      // value + i * step from a table, not value += step: no entry waits for the one before
      // (the 64 GiB 4 KiB identity map's fastest build went from 19-20 to 16 ms)
      for (int i = 0; i < n; i++) {
        LE64.set(f, at + 8 * i, value + times[i]);
      }
      value += n * step;
      done += n;
    }
  }

  // i * step for each 8-byte index i of a frame, for the last step a series used (a page-table
  // writer uses two: 4 KiB and 2 MiB); made on the first series
  private long[] steps;
  private long stepsStep;

  private long[] stepsOf(long step) {
    if (steps == null || step != stepsStep) {
      long[] t = steps == null ? new long[PAGE_SIZE / 8] : steps;
      for (int i = 0; i < t.length; i++) {
        t[i] = i * step;
      }
      steps = t;
      stepsStep = step;
    }
    return steps;
  }

  @Override
  public void copyPage(long srcPhysical, long dstPhysical) {
    checkRange(srcPhysical, PAGE_SIZE);
    checkRange(dstPhysical, PAGE_SIZE);
    long srcPfn = srcPhysical >>> PAGE_SHIFT;
    long dstPfn = dstPhysical >>> PAGE_SHIFT;
    byte[] src = array(srcPfn);
    if (src == null) {
      byte[] dst = array(dstPfn);
      if (dst != null) {
        int at = base(dstPfn);
        Arrays.fill(dst, at, at + PAGE_SIZE, (byte) 0);
      }
      return;
    }
    byte[] dst = arrayForWrite(dstPfn); // before base(srcPfn): making it may move src into the window
    System.arraycopy(array(srcPfn), base(srcPfn), dst, base(dstPfn), PAGE_SIZE);
  }

  /** Makes this memory's frame at {@code physical} a copy of {@code source}'s. */
  public void copyPageFrom(PhysicalMemory source, long physical) {
    long page = physical & -PAGE_SIZE;
    checkRange(page, PAGE_SIZE);
    long pfn = page >>> PAGE_SHIFT;
    byte[] f = arrayForWrite(pfn);
    source.read(page, f, base(pfn), PAGE_SIZE);
  }

  @Override
  public boolean pageEquals(long physical, PhysicalMemory other, long otherPhysical) {
    if (other instanceof SparseMemory o) {
      checkRange(physical, PAGE_SIZE);
      o.checkRange(otherPhysical, PAGE_SIZE);
      long pfn = physical >>> PAGE_SHIFT;
      long otherPfn = otherPhysical >>> PAGE_SHIFT;
      byte[] a = array(pfn);
      byte[] b = o.array(otherPfn);
      if (a == null && b == null) {
        return true;
      }
      if (a == null) {
        return isZero(b, o.base(otherPfn));
      }
      if (b == null) {
        return isZero(a, base(pfn));
      }
      int at = base(pfn);
      int otherAt = o.base(otherPfn);
      return Arrays.equals(a, at, at + PAGE_SIZE, b, otherAt, otherAt + PAGE_SIZE);
    }
    return PhysicalMemory.super.pageEquals(physical, other, otherPhysical);
  }

  private static boolean isZero(byte[] array, int at) {
    return Arrays.mismatch(array, at, at + PAGE_SIZE, ZERO_PAGE, 0, PAGE_SIZE) < 0;
  }

  private static final byte[] ZERO_PAGE = new byte[PAGE_SIZE];

  // ---- where frames are ----------------------------------------------------------------------

  private boolean inWindow(long pfn) {
    long i = pfn - windowBase;
    return i >= 0 && i < windowFrames;
  }

  /** Where frame {@code pfn} starts in {@link #array}'s answer: its offset in the window, else 0. */
  private int base(long pfn) {
    return inWindow(pfn) ? (int) (pfn - windowBase) << PAGE_SHIFT : 0;
  }

  /** The array holding frame {@code pfn} at {@link #base}, or null if it was never written. */
  private byte[] array(long pfn) {
    long i = pfn - windowBase;
    if (i >= 0 && i < windowFrames) {
      return (written[(int) (i >>> 6)] & (1L << i)) != 0 ? flat : null;
    }
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

  private byte[] arrayForRead(long pfn, long physical, int length) {
    byte[] f = array(pfn);
    if (f == null) {
      checkRange(physical, length);
    }
    return f;
  }

  private byte[] arrayForWrite(long pfn, long physical, int length) {
    byte[] f = array(pfn);
    if (f != null) {
      return f;
    }
    checkRange(physical, length);
    return create(pfn);
  }

  /** The array of frame {@code pfn}, made if it was never written (the caller checked the range). */
  private byte[] arrayForWrite(long pfn) {
    byte[] f = array(pfn);
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

  /** Makes frame {@code pfn} (never written) present, all zero; returns its array (see {@link #base}). */
  private byte[] create(long pfn) {
    if (!inWindow(pfn)) {
      growWindowTo(pfn);
    }
    count++;
    if (inWindow(pfn)) {
      return markWritten(pfn - windowBase);
    }
    byte[] f = new byte[PAGE_SIZE];
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
    chunk[(int) pfn & CHUNK_MASK] = f;
    return f;
  }

  /**
   * Marks window frame {@code i} written; returns the window. A frame first written is all zero:
   * nothing writes to a frame of the window not marked (copyPage zeroes only written frames).
   */
  private byte[] markWritten(long i) {
    written[(int) (i >>> 6)] |= 1L << i;
    return flat;
  }

  /**
   * Widens the window to cover {@code pfn} if it stays dense, within one stretch of RAM and its
   * size limit (see WINDOW_STEP), moving in the directory's frames it now covers; otherwise
   * leaves it, and the frame goes to the directory.
   */
  private void growWindowTo(long pfn) {
    long step = pfn & -WINDOW_STEP;
    long lo = windowFrames == 0 ? step : Math.min(windowBase, step);
    long hi = windowFrames == 0 ? step + WINDOW_STEP : Math.max(windowBase + windowFrames, step + WINDOW_STEP);
    long span = Math.max(hi - lo, 2 * windowFrames); // grow ahead, in the direction of pfn
    if (windowFrames != 0 && span > 2 * (count + 1L)) {
      return; // less than half of it would be written
    }
    if (pfn < windowBase) {
      lo = Math.max(0, hi - span);
    } else {
      hi = lo + span;
    }
    if (hi - lo > WINDOW_MAX || hi > 1L << (64 - PAGE_SHIFT - 1)
        || !ramMap.containsRange(lo << PAGE_SHIFT, (hi - lo) << PAGE_SHIFT)) {
      return;
    }
    byte[] grown = new byte[(int) ((hi - lo) << PAGE_SHIFT)];
    long[] grownWritten = new long[(int) ((hi - lo) / WINDOW_STEP)];
    if (windowFrames != 0) { // multiples of WINDOW_STEP: whole bitmap words move
      System.arraycopy(flat, 0, grown, (int) ((windowBase - lo) << PAGE_SHIFT), flat.length);
      System.arraycopy(written, 0, grownWritten, (int) ((windowBase - lo) / WINDOW_STEP), written.length);
    }
    flat = grown;
    written = grownWritten;
    windowBase = lo;
    windowFrames = hi - lo;
    for (long c = lo >>> CHUNK_SHIFT; c <= (hi - 1) >>> CHUNK_SHIFT && c < directory.length; c++) {
      byte[][] chunk = directory[(int) c];
      if (chunk == null) {
        continue;
      }
      boolean emptied = true;
      for (int k = 0; k < CHUNK_FRAMES; k++) {
        long p = (c << CHUNK_SHIFT) | k;
        if (chunk[k] == null) {
          continue;
        }
        if (p >= lo && p < hi) {
          System.arraycopy(chunk[k], 0, markWritten(p - lo), (int) (p - lo) << PAGE_SHIFT, PAGE_SIZE);
          chunk[k] = null;
        } else {
          emptied = false;
        }
      }
      if (emptied) {
        directory[(int) c] = null;
      }
    }
  }

  /** Calls {@code action} for each present frame's pfn, in no particular order. */
  private void forEachFrame(java.util.function.LongConsumer action) {
    for (int word = 0; word < written.length; word++) {
      for (long bits = written[word]; bits != 0; bits &= bits - 1) {
        action.accept(windowBase + ((long) word << 6) + Long.numberOfTrailingZeros(bits));
      }
    }
    for (int c = 0; c < directory.length; c++) {
      forEachInChunk(c, directory[c], action);
    }
    for (var e : highChunks.entrySet()) {
      forEachInChunk(e.getKey(), e.getValue(), action);
    }
  }

  private static void forEachInChunk(long chunkIndex, byte[][] chunk, java.util.function.LongConsumer action) {
    if (chunk == null) {
      return;
    }
    for (int i = 0; i < chunk.length; i++) {
      if (chunk[i] != null) {
        action.accept((chunkIndex << CHUNK_SHIFT) | i);
      }
    }
  }
}
