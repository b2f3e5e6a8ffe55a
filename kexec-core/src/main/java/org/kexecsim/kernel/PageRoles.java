package org.kexecsim.kernel;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.PhysicalMemory;

/**
 * The role of every RAM page of a synthetic kernel ({@link PageRole}), as its struct pages and
 * contents say. Pages the kernel marked as page cache, anonymous or free keep that role: their
 * struct pages say so and makedumpfile filters them by it. Every other page is judged by its
 * contents in the memory asked about, as makedumpfile's zero check does: all zeros is {@link
 * PageRole#ZERO}, otherwise what the kernel marked it as ({@link PageRole#PAGE_TABLE}), or {@link
 * PageRole#KERNEL}. The crash region is {@link PageRole#CRASH_REGION} whatever it holds.
 *
 * <p>Kept as runs of marked frames, so a machine of any size costs what the kernel marked.
 */
public final class PageRoles {
  private final TreeMap<Long, long[]> runs; // first pfn -> {end pfn (exclusive), role ordinal}
  private final Optional<PhysicalRange> crash;

  private PageRoles(TreeMap<Long, long[]> runs, Optional<PhysicalRange> crash) {
    this.runs = runs;
    this.crash = crash;
  }

  /** The role of frame {@code pfn}, its contents read from {@code contents}. */
  public PageRole roleOf(long pfn, org.kexecsim.memory.ReadableMemory contents) {
    long pa = pfn << PhysicalMemory.PAGE_SHIFT;
    if (crash.isPresent() && crash.get().contains(pa)) {
      return PageRole.CRASH_REGION;
    }
    PageRole marked = marked(pfn);
    if (marked != null && marked != PageRole.PAGE_TABLE && marked != PageRole.KERNEL) {
      return marked;
    }
    if (isZero(contents, pa)) {
      return PageRole.ZERO;
    }
    return marked != null ? marked : PageRole.KERNEL;
  }

  /** What the kernel marked frame {@code pfn} as, or null. */
  public PageRole marked(long pfn) {
    Map.Entry<Long, long[]> e = runs.floorEntry(pfn);
    return e != null && pfn < e.getValue()[0] ? PageRole.values()[(int) e.getValue()[1]] : null;
  }

  static boolean isZero(org.kexecsim.memory.ReadableMemory m, long pa) {
    if (!m.mayBeNonZero(pa)) {
      return true;
    }
    byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
    m.read(pa, page, 0, page.length);
    for (byte b : page) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  static final class Builder {
    private final TreeMap<Long, long[]> runs = new TreeMap<>();
    private final Optional<PhysicalRange> crash;

    Builder(Optional<PhysicalRange> crash) {
      this.crash = crash;
    }

    /** Marks {@code count} frames from {@code pfn}; a frame is marked once. */
    Builder mark(long pfn, long count, PageRole role) {
      Map.Entry<Long, long[]> below = runs.floorEntry(pfn + count - 1);
      if (below != null && below.getValue()[0] > pfn) {
        throw new IllegalStateException(String.format("frame 0x%x marked %s is already %s", Math.max(pfn, below.getKey()),
            role, PageRole.values()[(int) below.getValue()[1]]));
      }
      runs.put(pfn, new long[] {pfn + count, role.ordinal()});
      return this;
    }

    boolean inCrashRegion(long pa) {
      return crash.isPresent() && crash.get().contains(pa);
    }

    boolean isMarked(long pfn) {
      Map.Entry<Long, long[]> e = runs.floorEntry(pfn);
      return e != null && pfn < e.getValue()[0];
    }

    PageRoles build() {
      return new PageRoles(new TreeMap<>(runs), crash);
    }
  }
}
