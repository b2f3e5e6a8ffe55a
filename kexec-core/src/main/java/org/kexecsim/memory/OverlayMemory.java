package org.kexecsim.memory;

/**
 * Copy-on-write over a read-only memory (a dump, an image): the first write to a frame copies
 * it into a private sparse store, and later reads of that frame come from there. The base is
 * never modified, so a simulation can set accessed/dirty bits or run code on a dump without
 * touching the file.
 */
public final class OverlayMemory implements PhysicalMemory {
  private final PhysicalMemory base;
  private final SparseMemory overlay;

  public OverlayMemory(PhysicalMemory base) {
    this.base = base;
    this.overlay = new SparseMemory(base.ramMap());
  }

  @Override
  public RamMap ramMap() {
    return base.ramMap();
  }

  /** Frames written so far (each a private copy). */
  public int framesCopied() {
    return overlay.framesPresent();
  }

  private PhysicalMemory source(long physical) {
    return overlay.mayBeNonZero(physical) ? overlay : base;
  }

  /** Whether the access stays in one frame, the case where one source answers it. */
  private static boolean inOneFrame(long physical, int length) {
    return ((physical & (PAGE_SIZE - 1)) + length) <= PAGE_SIZE;
  }

  private PhysicalMemory ownFrames(long physical, int length) {
    for (long page = physical & -PAGE_SIZE; Long.compareUnsigned(page, physical + length - 1) <= 0; page += PAGE_SIZE) {
      if (!overlay.mayBeNonZero(page)) {
        overlay.copyPageFrom(base, page);
      }
    }
    return overlay;
  }

  @Override
  public int readU8(long physical) {
    return source(physical).readU8(physical);
  }

  @Override
  public int readU16(long physical) {
    return inOneFrame(physical, 2) ? source(physical).readU16(physical) : (int) readBytes(physical, 2);
  }

  @Override
  public long readU32(long physical) {
    return inOneFrame(physical, 4) ? source(physical).readU32(physical) : readBytes(physical, 4);
  }

  @Override
  public long readU64(long physical) {
    return inOneFrame(physical, 8) ? source(physical).readU64(physical) : readBytes(physical, 8);
  }

  private long readBytes(long physical, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = (v << 8) | readU8(physical + i);
    }
    return v;
  }

  @Override
  public void read(long physical, byte[] dst, int offset, int length) {
    int done = 0;
    while (done < length) {
      long pa = physical + done;
      int n = (int) Math.min(length - done, PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
      source(pa).read(pa, dst, offset + done, n);
      done += n;
    }
  }

  @Override
  public void writeU8(long physical, int value) {
    ownFrames(physical, 1).writeU8(physical, value);
  }

  @Override
  public void writeU16(long physical, int value) {
    ownFrames(physical, 2).writeU16(physical, value);
  }

  @Override
  public void writeU32(long physical, long value) {
    ownFrames(physical, 4).writeU32(physical, value);
  }

  @Override
  public void writeU64(long physical, long value) {
    ownFrames(physical, 8).writeU64(physical, value);
  }

  @Override
  public void write(long physical, byte[] src, int offset, int length) {
    if (length > 0) {
      ownFrames(physical, length).write(physical, src, offset, length);
    }
  }
}
