package org.kexecsim.dump.kdump;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A page descriptor's position is the count of dumpable frames before it: rank must equal a plain count everywhere. */
class PageBitmapTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 63, 64, 4095, 4096, 4097, 8192, 3 * 4096 + 17})
  void rankCountsTheSetBitsBelowEveryFrameAndNextFindsTheNextRun(long frames) {
    SplittableRandom r = new SplittableRandom(frames);
    long[] words = new long[(int) ((frames + 63) / 64)];
    for (int i = 0; i < words.length; i++) {
      words[i] = r.nextLong();
    }
    if ((frames & 63) != 0) {
      words[words.length - 1] &= (1L << (frames & 63)) - 1;
    }
    PageBitmap b = new PageBitmap(words, frames);
    long count = 0;
    for (long pfn = 0; pfn <= frames; pfn++) {
      assertEquals(count, b.rank(pfn), "rank(" + pfn + ") of " + frames);
      if (pfn < frames && b.test(pfn)) {
        count++;
      }
    }
    for (long pfn = 0; pfn < frames; pfn++) {
      long next = pfn;
      while (next < frames && !b.test(next)) {
        next++;
      }
      assertEquals(next, b.next(pfn, true));
    }
  }
}
