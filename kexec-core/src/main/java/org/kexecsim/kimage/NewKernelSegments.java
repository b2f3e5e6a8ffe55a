package org.kexecsim.kimage;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * The segments kexec-tools would hand the kernel for a bzImage: the kernel, an initrd, the
 * purgatory (where the entry point is), boot parameters and, for a crash image, the ELF core
 * header, all inside the crash region. Sizes scale down for small machines and regions; the
 * bytes are seeded noise.
 *
 * @param entry the purgatory's entry point
 */
public record NewKernelSegments(List<Segment> segments, long entry) {
  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;

  public NewKernelSegments {
    segments = List.copyOf(segments);
  }

  /** A crash image laid out inside {@code region}, the kernel at its (16 MiB-aligned) start. */
  public static NewKernelSegments crash(CrashRegion region, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long size = region.size();
    long kernel = pageDown(Math.min(8 * MIB, size / 4));
    long initrd = pageDown(Math.min(4 * MIB, size / 8));
    long at = region.start();
    List<Segment> s = new ArrayList<>();
    s.add(segment(at, kernel, random));
    at += kernel + pageDown(Math.max(4 * KIB, size / 32)); // leave a hole for control pages
    long purgatory = at;
    s.add(segment(at, 16 * KIB, random));
    at += 16 * KIB + 4 * KIB;
    s.add(segment(at, 8 * KIB, random)); // boot_params
    at += 8 * KIB + 4 * KIB;
    s.add(segment(at, 16 * KIB, random)); // elfcorehdr
    long initrdAt = pageDown(region.end() + 1 - initrd);
    if (initrdAt > at + 16 * KIB && initrd > 0) {
      s.add(segment(initrdAt, initrd, random));
    }
    return new NewKernelSegments(s, purgatory);
  }

  /**
   * A normal image: the kernel at 16 MiB (where the running kernel sits: its sources must stay
   * clear of it), the purgatory and boot parameters after it, the initrd high in the first RAM
   * range.
   */
  public static NewKernelSegments normal(RamMap ram, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    RamRange first = null;
    for (RamRange r : ram.ranges()) {
      if (r.type() == RamRange.Type.USABLE && r.contains(16 * MIB) && r.end() - 16 * MIB >= 16 * MIB) {
        first = r;
        break;
      }
    }
    if (first == null) {
      throw new ImpossibleLayoutException("a normal image needs usable RAM from 16 MiB to 32 MiB: " + ram);
    }
    long room = Math.min(first.end(), 1L << 32) - 16 * MIB;
    long kernel = pageDown(Math.min(4 * MIB, room / 8));
    long initrd = pageDown(Math.min(2 * MIB, room / 16));
    List<Segment> s = new ArrayList<>();
    long at = 16 * MIB;
    s.add(segment(at, kernel, random));
    at += kernel + 64 * KIB;
    long purgatory = at;
    s.add(segment(at, 16 * KIB, random));
    at += 16 * KIB + 4 * KIB;
    s.add(segment(at, 8 * KIB, random));
    long initrdAt = pageDown(16 * MIB + room - initrd - MIB);
    if (initrd > 0 && initrdAt > at + 8 * KIB) {
      s.add(segment(initrdAt, initrd, random));
    }
    return new NewKernelSegments(s, purgatory);
  }

  private static Segment segment(long mem, long memsz, SplittableRandom random) {
    byte[] buf = new byte[(int) Math.min(memsz - memsz / 4, 256 * KIB)];
    random.nextBytes(buf);
    return new Segment(buf, mem, memsz);
  }

  private static long pageDown(long v) {
    return v & ~0xFFFL;
  }
}
