package org.kexecsim.kimage;

import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;

/** Small kexec hosts for tests: a machine, its page allocator, maybe a crash region. */
final class TestHosts {
  private TestHosts() {}

  static final long MIB = 1L << 20;

  static KexecHost host(Arch arch, long ramBytes, PhysicalRange crash, long seed) {
    SparseMemory m = new SparseMemory(RamMap.ofSize(ramBytes));
    Optional<CrashRegion> region = Optional.ofNullable(crash).map(CrashRegion::new);
    List<PhysicalRange> reserved = crash == null ? List.of() : List.of(crash);
    long pages = (ramBytes - (crash == null ? 0 : crash.size())) >>> 12;
    return new KexecHost(arch, m, pages, region, new RandomFreePages(m, reserved, seed));
  }

  static KexecHost normal(Arch arch, long ramBytes) {
    return host(arch, ramBytes, null, 1);
  }

  static Segment seg(long mem, long memsz) {
    return new Segment(new byte[] {1, 2, 3}, mem, memsz);
  }
}
