package org.kexecsim.analyzer.diff;

import java.util.Set;

/** A run of adjacent differing (or one-sided) physical bytes that carry the same tags. */
public record DiffRange(long start, long size, Set<DiffTag> tags) {
  public DiffRange {
    tags = Set.copyOf(tags);
  }

  public long end() {
    return start + size;
  }
}
