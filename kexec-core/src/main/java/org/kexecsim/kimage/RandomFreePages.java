package org.kexecsim.kimage;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * A buddy allocator whose free lists are in a seeded-random order: a long-running kernel hands
 * out pages from all over RAM, so kexec's placement rules get exercised wherever the pages fall.
 *
 * <p>A frame is free when it is usable RAM, above the first MiB (which x86 keeps for the BIOS and
 * the real-mode trampoline, arch/x86/kernel/setup.c), outside every reserved range (the crash
 * region, the kernel image), not yet written by anyone (a frame in memory holds someone's data)
 * and not handed out before. Deterministic for a seed.
 */
public final class RandomFreePages implements FreePages {
  private static final long LOW_RESERVED = 1L << 20;
  private static final int RANDOM_TRIES = 64;

  private final PhysicalMemory memory;
  private final List<RamRange> usable = new ArrayList<>();
  private final List<PhysicalRange> reserved;
  private final Set<Long> handedOut = new HashSet<>();
  private final SplittableRandom random;

  public RandomFreePages(PhysicalMemory memory, List<PhysicalRange> reserved, long seed) {
    this.memory = memory;
    this.reserved = List.copyOf(reserved);
    this.random = new SplittableRandom(seed);
    RamMap map = memory.ramMap();
    for (RamRange r : map.ranges()) {
      if (r.type() == RamRange.Type.USABLE) {
        usable.add(r);
      }
    }
  }

  @Override
  public long allocatedFrames() {
    return handedOut.size();
  }

  @Override
  public long allocate(int pages, long limit) {
    if (Integer.bitCount(pages) != 1) {
      throw new IllegalArgumentException("block of " + pages + " pages is not a power of two");
    }
    long blockBytes = (long) pages << PhysicalMemory.PAGE_SHIFT;
    List<long[]> candidates = new ArrayList<>(); // [first block base, block count]
    long total = 0;
    for (RamRange r : usable) {
      long lo = roundUp(Math.max(r.start(), LOW_RESERVED), blockBytes);
      long hi = unsignedMin(r.end() == 0 ? -1L : r.end(), limit) & -blockBytes;
      if (Long.compareUnsigned(hi, lo) > 0) {
        long n = (hi - lo) / blockBytes;
        candidates.add(new long[] {lo, n});
        total += n;
      }
    }
    if (total == 0) {
      return -1;
    }
    for (int t = 0; t < RANDOM_TRIES; t++) {
      long base = blockAt(candidates, random.nextLong(total), blockBytes);
      if (isFree(base, pages)) {
        return take(base, pages);
      }
    }
    // Nearly full: scan every block once from a random starting point.
    long first = random.nextLong(total);
    for (long i = 0; i < total; i++) {
      long base = blockAt(candidates, (first + i) % total, blockBytes);
      if (isFree(base, pages)) {
        return take(base, pages);
      }
    }
    return -1;
  }

  private static long blockAt(List<long[]> candidates, long index, long blockBytes) {
    for (long[] c : candidates) {
      if (index < c[1]) {
        return c[0] + index * blockBytes;
      }
      index -= c[1];
    }
    throw new AssertionError("index beyond the candidates");
  }

  private boolean isFree(long base, int pages) {
    for (int i = 0; i < pages; i++) {
      long pa = base + ((long) i << PhysicalMemory.PAGE_SHIFT);
      if (handedOut.contains(pa) || memory.mayBeNonZero(pa)) {
        return false;
      }
      for (PhysicalRange r : reserved) {
        if (r.contains(pa)) {
          return false;
        }
      }
    }
    return true;
  }

  private long take(long base, int pages) {
    for (int i = 0; i < pages; i++) {
      handedOut.add(base + ((long) i << PhysicalMemory.PAGE_SHIFT));
    }
    return base;
  }

  private static long unsignedMin(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0 ? a : b;
  }

  private static long roundUp(long value, long alignment) {
    return (value + alignment - 1) & -alignment;
  }
}
