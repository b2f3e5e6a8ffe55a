package org.kexecsim.dump.kdump;

/**
 * One of a kdump-compressed file's bitmaps, bit N for page frame N, least significant bit first
 * within each byte (makedumpfile.c set_bitmap_buffer: byte pfn>>3, bit pfn&7). The 1st bitmap
 * marks the frames that are RAM, the 2nd those whose content the file holds; a frame in the 1st
 * but not the 2nd was excluded by the dump level. Kept in the heap as words (a 1 GiB machine
 * needs 32 KiB), with a running count every 4096 frames so that the position of a page's
 * descriptor (the number of dumpable frames before it) costs a few popcounts.
 */
final class PageBitmap {
  /** Frames per rank block. */
  private static final int BLOCK_WORDS = 64;

  private final long[] words;
  private final long frames;
  /** Set bits before each block of 64 words. */
  private final long[] blockRanks;

  PageBitmap(long[] words, long frames) {
    this.words = words;
    this.frames = frames;
    this.blockRanks = new long[words.length / BLOCK_WORDS + 1];
    long total = 0;
    for (int i = 0; i < words.length; i++) {
      if (i % BLOCK_WORDS == 0) {
        blockRanks[i / BLOCK_WORDS] = total;
      }
      total += Long.bitCount(words[i]);
    }
    if (words.length % BLOCK_WORDS == 0) {
      blockRanks[words.length / BLOCK_WORDS] = total; // rank(frames) when frames fill the last block
    }
  }

  /** Reads the first {@code frames} bits from {@code [offset, offset + (frames+7)/8)} of {@code bytes}. */
  static PageBitmap read(DumpBytes bytes, long offset, long frames) {
    long nBytes = (frames + 7) >>> 3;
    if (!bytes.fits(offset, nBytes)) {
      throw bytes.bad(offset, String.format("a bitmap of 0x%x bytes at 0x%x runs past the end of the file (size 0x%x): truncated",
          nBytes, offset, bytes.size()));
    }
    int nWords = (int) ((frames + 63) >>> 6);
    long[] words = new long[nWords];
    byte[] buf = new byte[1 << 16];
    for (long done = 0; done < nBytes; ) {
      int n = (int) Math.min(buf.length, nBytes - done);
      bytes.read(offset + done, buf, 0, n);
      for (int i = 0; i < n; i++) {
        long b = done + i;
        words[(int) (b >>> 3)] |= (buf[i] & 0xffL) << ((b & 7) * 8);
      }
      done += n;
    }
    if ((frames & 63) != 0) {
      words[nWords - 1] &= (1L << (frames & 63)) - 1; // bits past max_mapnr mean nothing
    }
    return new PageBitmap(words, frames);
  }

  long frames() {
    return frames;
  }

  boolean test(long pfn) {
    return Long.compareUnsigned(pfn, frames) < 0 && (words[(int) (pfn >>> 6)] & (1L << pfn)) != 0;
  }

  /** Set bits in {@code [0, pfn)}; {@code pfn <= frames}. */
  long rank(long pfn) {
    int w = (int) (pfn >>> 6);
    long r = blockRanks[w / BLOCK_WORDS];
    for (int i = w - w % BLOCK_WORDS; i < w; i++) {
      r += Long.bitCount(words[i]);
    }
    if ((pfn & 63) != 0) {
      r += Long.bitCount(words[w] & ((1L << pfn) - 1));
    }
    return r;
  }

  /** The first frame at or after {@code pfn} whose bit equals {@code set}, or {@link #frames()}. */
  long next(long pfn, boolean set) {
    while (pfn < frames) {
      int w = (int) (pfn >>> 6);
      long word = (set ? words[w] : ~words[w]) & (-1L << pfn);
      if (word != 0) {
        return Math.min(frames, ((long) w << 6) + Long.numberOfTrailingZeros(word));
      }
      pfn = ((long) w + 1) << 6;
    }
    return frames;
  }

  boolean sameBits(PageBitmap o) {
    return frames == o.frames && java.util.Arrays.equals(words, o.words);
  }
}
