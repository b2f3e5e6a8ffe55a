package org.kexecsim.kimage;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * crashk_res: the physical range reserved at boot for the crash kernel. A crash image's entry,
 * segments and control pages must all lie inside it.
 */
public record CrashRegion(PhysicalRange range) {

  public long start() {
    return range.start();
  }

  /** crashk_res.end: the last byte, inclusive. */
  public long end() {
    return range.last();
  }

  public long size() {
    return range.size();
  }

  public boolean contains(long physical) {
    return range.contains(physical);
  }

  /**
   * Reserves the region {@code spec} asks for, as reserve_crashkernel_generic
   * (kernel/crash_reserve.c) does on x86: a CRASH_ALIGN-aligned block found top-down
   * (memblock's default direction) in usable RAM that no {@code inUse} range touches, first
   * below CRASH_ADDR_LOW_MAX, then above it; or exactly at the fixed base.
   *
   * <p>Not modelled: the extra low region reserved when the block lands above 4 GiB
   * (crashk_low_res).
   *
   * @return empty when the spec asks for zero bytes
   * @throws KexecException ENOMEM with the kernel's warning when nothing fits
   */
  public static Optional<CrashRegion> reserve(
      CrashKernelSpec spec, RamMap ram, Arch arch, List<PhysicalRange> inUse) {
    if (spec.size() == 0) {
      return Optional.empty();
    }
    long size = CrashKernelSpec.roundUp(spec.size(), 4096); // crash_size = PAGE_ALIGN(crash_size)
    if (size == 0) { // PAGE_ALIGN wrapped past 2^64: no memblock range is that large
      throw new KexecException(Errno.ENOMEM, String.format("cannot allocate crashkernel (size:0x%x)", spec.size()));
    }
    List<PhysicalRange> free = freeRanges(ram, inUse);
    long align = arch.crashAlign();
    if (spec.base() != 0) {
      long found = allocTopDown(free, size, align, spec.base(), spec.base() + size);
      if (found != spec.base()) {
        throw new KexecException(Errno.ENOMEM, String.format(
            "crashkernel=%s@0x%x: crashkernel reservation failed - memory is in use "
                + "(the base must be %s-aligned usable RAM that nothing else holds)",
            Long.toUnsignedString(size), spec.base(), org.kexecsim.memory.ByteSize.format(align)));
      }
      return Optional.of(new CrashRegion(new PhysicalRange(found, size)));
    }
    long low = arch.crashAddrLowMax();
    long high = arch.crashAddrHighMax();
    long found;
    if (spec.high()) {
      found = allocTopDown(free, size, align, low, high);
      if (found < 0) {
        found = allocTopDown(free, size, align, 0, low);
      }
    } else {
      found = allocTopDown(free, size, align, 0, low);
      if (found < 0 && high != low) {
        found = allocTopDown(free, size, align, low, high);
      }
    }
    if (found < 0) {
      throw new KexecException(Errno.ENOMEM, String.format("cannot allocate crashkernel (size:0x%x)", size));
    }
    return Optional.of(new CrashRegion(new PhysicalRange(found, size)));
  }

  /** Usable RAM minus the ranges in use, ascending. */
  static List<PhysicalRange> freeRanges(RamMap ram, List<PhysicalRange> inUse) {
    List<PhysicalRange> busy = new ArrayList<>(inUse);
    busy.sort(Comparator.comparing(PhysicalRange::start, Long::compareUnsigned));
    List<PhysicalRange> out = new ArrayList<>();
    for (RamRange r : ram.ranges()) {
      if (r.type() != RamRange.Type.USABLE) {
        continue;
      }
      long at = r.start();
      long end = r.end();
      for (PhysicalRange b : busy) {
        if (Long.compareUnsigned(b.end(), at) <= 0 || Long.compareUnsigned(b.start(), end) >= 0) {
          continue;
        }
        if (Long.compareUnsigned(b.start(), at) > 0) {
          out.add(new PhysicalRange(at, b.start() - at));
        }
        at = Math.max(at, b.end());
      }
      if (Long.compareUnsigned(at, end) < 0) {
        out.add(new PhysicalRange(at, end - at));
      }
    }
    return out;
  }

  /**
   * memblock_phys_alloc_range(size, align, start, end) top-down: the highest {@code align}-ed
   * base with {@code [base, base+size)} inside one free range and inside {@code [start, end)}; -1
   * if none. memblock never hands out address 0.
   */
  static long allocTopDown(List<PhysicalRange> free, long size, long align, long start, long end) {
    for (int i = free.size() - 1; i >= 0; i--) {
      PhysicalRange f = free.get(i);
      long lo = Math.max(f.start(), start);
      long hi = Math.min(f.end(), end);
      // unsigned: a size of 2^63 or more (crashkernel=12E) fits nowhere, it is not negative
      if (hi <= lo || Long.compareUnsigned(hi - lo, size) < 0) {
        continue;
      }
      long base = (hi - size) & -align;
      if (base >= lo && base != 0) {
        return base;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "crashkernel " + range;
  }
}
