package org.kexecsim.kernel;

import java.util.List;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/** Early boot allocations as memblock makes them: top-down (mm/memblock.c memblock_find_in_range_node). */
final class Memblock {
  private Memblock() {}

  /**
   * The highest {@code align}-aligned block of {@code size} bytes of usable RAM below {@code limit}
   * (memblock.current_limit) that touches nothing taken; {@code what} names it when there is none.
   */
  static long topDown(RamMap ram, List<PhysicalRange> taken, long size, long align, long limit, String what) {
    List<RamRange> ranges = ram.ranges();
    for (int i = ranges.size() - 1; i >= 0; i--) {
      RamRange r = ranges.get(i);
      long end = r.end() == 0 || Long.compareUnsigned(r.end(), limit) > 0 ? limit : r.end();
      if (r.type() != RamRange.Type.USABLE || Long.compareUnsigned(end, r.start()) <= 0
          || Long.compareUnsigned(end - r.start(), size) < 0) {
        continue;
      }
      long candidate = (end - size) & -align;
      while (Long.compareUnsigned(candidate, r.start()) >= 0 && candidate + size <= end) {
        PhysicalRange clash = null;
        for (PhysicalRange t : taken) {
          if (t.overlaps(candidate, candidate + size - 1)) {
            clash = t;
            break;
          }
        }
        if (clash == null) {
          return candidate;
        }
        if (Long.compareUnsigned(clash.start(), size) < 0) {
          break;
        }
        candidate = (clash.start() - size) & -align;
      }
    }
    throw new ImpossibleLayoutException(String.format(
        "RAM map %s has no room for %d MiB of %s outside the kernel and the crash region", ram, Math.max(1, size >> 20), what));
  }
}
