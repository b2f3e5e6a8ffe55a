package org.kexecsim.analyzer;

import java.util.Arrays;
import org.kexecsim.memory.ReadableMemory;

/**
 * Which frames of an image can hold data, answered per range in O(log n) when the image lists
 * its populated regions ({@link ReadableMemory#populatedRegions}), else through {@link
 * ReadableMemory#mayHaveData} (a mapped file answers from its extents and the file's holes,
 * others page by page). Lets whole-image scans skip the empty terabytes of a simulated machine
 * without touching each page.
 */
public final class FrameIndex {
  private final ReadableMemory memory;
  /** Region starts and ends (exclusive), ascending; null when the memory cannot list them. */
  private final long[] starts;
  private final long[] ends;

  private FrameIndex(ReadableMemory memory, long[] starts, long[] ends) {
    this.memory = memory;
    this.starts = starts;
    this.ends = ends;
  }

  public static FrameIndex of(ReadableMemory memory) {
    return memory.populatedRegions().map(regions -> {
      long[] s = new long[regions.size()];
      long[] e = new long[regions.size()];
      for (int i = 0; i < s.length; i++) {
        ReadableMemory.Region r = regions.get(i);
        s[i] = r.start();
        e[i] = r.start() + r.length();
      }
      return new FrameIndex(memory, s, e);
    }).orElseGet(() -> new FrameIndex(memory, null, null));
  }

  /** Whether any byte of {@code [start, end)} may be non-zero. */
  public boolean mayHaveData(long start, long end) {
    if (starts != null) {
      // the last region starting below end must reach past start
      int i = Arrays.binarySearch(starts, end);
      int below = (i >= 0 ? i : -i - 1) - 1;
      return below >= 0 && Long.compareUnsigned(ends[below], start) > 0;
    }
    return memory.mayHaveData(start, end); // a mapped file by its extents and holes, else page by page
  }
}
