package org.kexecsim.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Physical memory whose 4 KiB frames come into being on first write; memory never written reads
 * as zero. A machine with a 64 TiB RAM map costs only the frames it touches.
 *
 * <p>Frames live in an open-addressing table keyed by page frame number, with a one-entry cache
 * for the common case of consecutive accesses to one frame. Not thread-safe.
 */
public final class SparseMemory implements PhysicalMemory {
  private static final VarHandle LE16 =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE32 =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LE64 =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static final long NO_FRAME = -1L; // no valid pfn is all ones: PAs are at most 52 bits
  private static final int OFFSET_MASK = PAGE_SIZE - 1;

  private final RamMap ramMap;
  private long[] pfns;
  private byte[][] frames;
  private int count;
  private int shift; // 64 - log2(capacity)

  private long cachedPfn = NO_FRAME;
  private byte[] cachedFrame;

  public SparseMemory(RamMap ramMap) {
    this.ramMap = ramMap;
    allocateTable(1024);
  }

  /** A copy whose frames are independent of this memory's: a snapshot of the machine. */
  public SparseMemory copy() {
    SparseMemory c = new SparseMemory(ramMap);
    c.allocateTable(pfns.length);
    for (int i = 0; i < pfns.length; i++) {
      if (pfns[i] != NO_FRAME) {
        c.insert(pfns[i], frames[i].clone());
      }
    }
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

  /** The page frame numbers that have been written, ascending. */
  public long[] presentFrameNumbers() {
    long[] out = new long[count];
    int n = 0;
    for (long pfn : pfns) {
      if (pfn != NO_FRAME) {
        out[n++] = pfn;
      }
    }
    Arrays.sort(out);
    return out;
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
  void copyFrom(PhysicalMemory source, long physical) {
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

  // ---- frame table ---------------------------------------------------------------------------

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
    if (pfn == cachedPfn) {
      return cachedFrame;
    }
    long[] keys = pfns;
    int mask = keys.length - 1;
    int i = (int) ((pfn * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    while (true) {
      long k = keys[i];
      if (k == pfn) {
        byte[] f = frames[i];
        cachedPfn = pfn;
        cachedFrame = f;
        return f;
      }
      if (k == NO_FRAME) {
        return null;
      }
      i = (i + 1) & mask;
    }
  }

  private byte[] create(long pfn) {
    byte[] f = new byte[PAGE_SIZE];
    if ((count + 1) * 4L > pfns.length * 3L) {
      rehash();
    }
    insert(pfn, f);
    cachedPfn = pfn;
    cachedFrame = f;
    return f;
  }

  private void insert(long pfn, byte[] f) {
    int mask = pfns.length - 1;
    int i = (int) ((pfn * 0x9E37_79B9_7F4A_7C15L) >>> shift);
    while (pfns[i] != NO_FRAME) {
      i = (i + 1) & mask;
    }
    pfns[i] = pfn;
    frames[i] = f;
    count++;
  }

  private void rehash() {
    long[] oldKeys = pfns;
    byte[][] oldFrames = frames;
    allocateTable(oldKeys.length * 2);
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != NO_FRAME) {
        insert(oldKeys[i], oldFrames[i]);
      }
    }
  }

  private void allocateTable(int capacity) {
    pfns = new long[capacity];
    Arrays.fill(pfns, NO_FRAME);
    frames = new byte[capacity][];
    count = 0;
    shift = 64 - Integer.numberOfTrailingZeros(capacity);
  }
}
