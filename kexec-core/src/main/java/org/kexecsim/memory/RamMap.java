package org.kexecsim.memory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The physical address ranges that exist, sorted and non-overlapping, like the e820 map the
 * firmware hands the kernel. Addresses are unsigned.
 */
public final class RamMap {
  private final List<RamRange> ranges;
  private final long[] starts;
  private final long[] lasts;

  private RamMap(List<RamRange> sorted) {
    this.ranges = List.copyOf(sorted);
    this.starts = new long[sorted.size()];
    this.lasts = new long[sorted.size()];
    for (int i = 0; i < sorted.size(); i++) {
      starts[i] = sorted.get(i).start();
      lasts[i] = sorted.get(i).last();
    }
  }

  /** A map of the given ranges in any order; overlapping ranges are refused. */
  public static RamMap of(List<RamRange> ranges) {
    if (ranges.isEmpty()) {
      throw new InvalidRamMapException("RAM map is empty: a machine needs at least one range");
    }
    List<RamRange> sorted = new ArrayList<>(ranges);
    sorted.sort(Comparator.comparing(RamRange::start, Long::compareUnsigned));
    for (int i = 1; i < sorted.size(); i++) {
      RamRange prev = sorted.get(i - 1);
      RamRange next = sorted.get(i);
      if (Long.compareUnsigned(next.start(), prev.last()) <= 0) {
        throw new InvalidRamMapException("RAM ranges overlap: " + prev + " and " + next);
      }
    }
    return new RamMap(sorted);
  }

  public static RamMap of(RamRange... ranges) {
    return of(List.of(ranges));
  }

  /** One usable range {@code [0, bytes)}. */
  public static RamMap ofSize(long bytes) {
    return of(RamRange.usable(0, bytes));
  }

  /**
   * Parses {@code START-LAST[:reserved]} or {@code START+SIZE[:reserved]} items separated by
   * commas; numbers in C syntax (0x.., decimal) and sizes with K/M/G/T/P suffixes. LAST is
   * inclusive, as e820 prints it.
   */
  public static RamMap parse(String spec) {
    List<RamRange> out = new ArrayList<>();
    for (String item : spec.split(",")) {
      String s = item.trim();
      RamRange.Type type = RamRange.Type.USABLE;
      int colon = s.indexOf(':');
      if (colon >= 0) {
        String t = s.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        type =
            switch (t) {
              case "usable", "ram" -> RamRange.Type.USABLE;
              case "reserved" -> RamRange.Type.RESERVED;
              default -> throw new InvalidRamMapException(
                  "RAM map item '" + s + "': type must be usable or reserved");
            };
        s = s.substring(0, colon).trim();
      }
      int plus = s.indexOf('+');
      int dash = s.indexOf('-');
      try {
        if (plus > 0) {
          long start = ByteSize.parse(s.substring(0, plus));
          long size = ByteSize.parse(s.substring(plus + 1));
          out.add(new RamRange(start, size, type));
        } else if (dash > 0) {
          long start = ByteSize.parse(s.substring(0, dash));
          long last = ByteSize.parse(s.substring(dash + 1));
          if (Long.compareUnsigned(last, start) < 0) {
            throw new InvalidRamMapException("RAM map item '" + item.trim() + "': end before start");
          }
          out.add(new RamRange(start, last - start + 1, type));
        } else {
          throw new InvalidRamMapException(
              "RAM map item '" + item.trim() + "': expected START-LAST or START+SIZE");
        }
      } catch (NumberFormatException e) {
        throw new InvalidRamMapException("RAM map item '" + item.trim() + "': " + e.getMessage());
      }
    }
    return of(out);
  }

  public List<RamRange> ranges() {
    return ranges;
  }

  /** Index of the range holding {@code physical}, or -1. */
  public int indexOf(long physical) {
    int lo = 0;
    int hi = starts.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(physical, starts[mid]) < 0) {
        hi = mid - 1;
      } else if (Long.compareUnsigned(physical, lasts[mid]) > 0) {
        lo = mid + 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  public boolean contains(long physical) {
    return indexOf(physical) >= 0;
  }

  /**
   * Whether every byte of {@code [physical, physical + length)} exists. Ranges that touch each
   * other count as one, so an access may straddle a usable/reserved boundary.
   */
  public boolean containsRange(long physical, long length) {
    if (length <= 0) {
      return true;
    }
    long last = physical + length - 1;
    if (Long.compareUnsigned(last, physical) < 0) {
      return false;
    }
    int i = indexOf(physical);
    if (i < 0) {
      return false;
    }
    while (Long.compareUnsigned(last, lasts[i]) > 0) {
      if (i + 1 >= starts.length || starts[i + 1] != lasts[i] + 1) {
        return false;
      }
      i++;
    }
    return true;
  }

  /** Total bytes of usable RAM. */
  public long usableBytes() {
    long total = 0;
    for (RamRange r : ranges) {
      if (r.type() == RamRange.Type.USABLE) {
        total += r.size();
      }
    }
    return total;
  }

  /** The first address above every range (0 if the top range ends at 2^64). */
  public long end() {
    return ranges.getLast().end();
  }

  /** The ranges as a message names them: {@code [0x0-0x9ffff],[0x100000-0x3fffffff]}. */
  public String describeRanges() {
    StringBuilder sb = new StringBuilder();
    for (RamRange r : ranges) {
      sb.append(sb.isEmpty() ? "" : ",").append(String.format("[0x%x-0x%x]", r.start(), r.last()));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return ranges.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RamMap m && m.ranges.equals(ranges);
  }

  @Override
  public int hashCode() {
    return ranges.hashCode();
  }
}
