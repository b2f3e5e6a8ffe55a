package org.kexecsim.analyzer;

import java.util.Arrays;
import org.kexecsim.dump.MappedFileMemory;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.SparseMemory;

/**
 * Which frames of an image can hold data, answered per range in O(log n) when the image knows
 * (a {@link SparseMemory} lists its present frames, a {@link MappedFileMemory} its extents and
 * the file's holes), else page by page through {@link
 * PhysicalMemory#mayBeNonZero}. Lets whole-image scans skip the empty terabytes of a simulated
 * machine without touching each page.
 */
public final class FrameIndex {
  private final PhysicalMemory memory;
  /** Sorted present frame numbers, or null when the memory cannot list them. */
  private final long[] pfns;

  private FrameIndex(PhysicalMemory memory, long[] pfns) {
    this.memory = memory;
    this.pfns = pfns;
  }

  public static FrameIndex of(PhysicalMemory memory) {
    return new FrameIndex(memory, memory instanceof SparseMemory s ? s.presentFrameNumbers() : null);
  }

  /** Whether any byte of {@code [start, end)} may be non-zero. */
  public boolean mayHaveData(long start, long end) {
    if (pfns != null) {
      long first = start >>> PhysicalMemory.PAGE_SHIFT;
      long last = (end - 1) >>> PhysicalMemory.PAGE_SHIFT;
      int i = Arrays.binarySearch(pfns, first);
      int next = i >= 0 ? i : -i - 1;
      return i >= 0 || (next < pfns.length && pfns[next] <= last);
    }
    if (memory instanceof MappedFileMemory m) {
      return m.mayHaveData(start, end); // by extents and the file's holes, not page by page
    }
    for (long p = start & -PhysicalMemory.PAGE_SIZE; Long.compareUnsigned(p, end) < 0; p += PhysicalMemory.PAGE_SIZE) {
      if (memory.mayBeNonZero(p)) {
        return true;
      }
    }
    return false;
  }
}
