package org.kexecsim.kimage;

import java.util.List;

/**
 * The checks kexec_load(2) makes before it allocates anything, in the kernel's order: the
 * segment count (kernel/kexec.c kexec_load_check), the crash entry point (kimage_alloc_init),
 * then sanity_check_segment_list() (kernel/kexec_core.c). Addresses are unsigned longs of the
 * architecture, so on i386 mem + memsz wraps at 4 GiB as it does in the kernel.
 */
final class SegmentRules {
  private SegmentRules() {}

  private static final long PAGE_MASK = ~0xFFFL;

  static void check(KexecHost host, ImageType type, long entry, List<Segment> segments) {
    Arch arch = host.arch();
    long ulong = arch.unsignedLongMask();
    // kexec_load_check: nr_segments > KEXEC_SEGMENT_MAX
    if (segments.size() > KImage.SEGMENT_MAX) {
      throw new KexecException(Errno.EINVAL, String.format(
          "%d segments: kexec_load takes at most KEXEC_SEGMENT_MAX = %d (kernel/kexec.c kexec_load_check)",
          segments.size(), KImage.SEGMENT_MAX));
    }
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      if ((s.mem() & ~ulong) != 0 || (s.memsz() & ~ulong) != 0) {
        throw new ImpossibleLayoutException(String.format(
            "segment %d: mem 0x%x / memsz 0x%x do not fit a %d-bit unsigned long", i, s.mem(), s.memsz(),
            arch.longBytes() * 8));
      }
    }
    if (type == ImageType.CRASH) {
      // kimage_alloc_init: "Verify we have a valid entry point"; with nothing reserved crashk_res is [0, 0].
      CrashRegion r = host.crashRegion().orElse(null);
      if (r == null || !r.contains(entry)) {
        throw new KexecException(Errno.EADDRNOTAVAIL, String.format(
            "crash entry point 0x%x lies outside the crash region %s (kernel/kexec.c kimage_alloc_init)",
            entry, r == null ? "(none reserved)" : r.range()));
      }
    }
    // sanity_check_segment_list: "Verify we have good destination addresses."
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      long mstart = s.mem();
      long mend = (mstart + s.memsz()) & ulong;
      if (Long.compareUnsigned(mstart, mend) > 0) {
        throw new KexecException(Errno.EADDRNOTAVAIL, String.format(
            "segment %d: mem 0x%x + memsz 0x%x wraps past the top of the address space "
                + "(kernel/kexec_core.c sanity_check_segment_list)", i, mstart, s.memsz()));
      }
      if ((mstart & ~PAGE_MASK) != 0 || (mend & ~PAGE_MASK) != 0) {
        throw new KexecException(Errno.EADDRNOTAVAIL, String.format(
            "segment %d: [0x%x, 0x%x) is not page-aligned at %s "
                + "(kernel/kexec_core.c sanity_check_segment_list)",
            i, mstart, mend, (mstart & ~PAGE_MASK) != 0 ? "its start" : "its end"));
      }
      if (Long.compareUnsigned(mend, arch.destinationMemoryLimit()) >= 0) {
        throw new KexecException(Errno.EADDRNOTAVAIL, String.format(
            "segment %d: end 0x%x reaches KEXEC_DESTINATION_MEMORY_LIMIT 0x%x of %s "
                + "(kernel/kexec_core.c sanity_check_segment_list)",
            i, mend, arch.destinationMemoryLimit(), arch.cliName()));
      }
    }
    // "Verify our destination addresses do not overlap."
    for (int i = 0; i < segments.size(); i++) {
      long mstart = segments.get(i).mem();
      long mend = mstart + segments.get(i).memsz();
      for (int j = 0; j < i; j++) {
        long pstart = segments.get(j).mem();
        long pend = pstart + segments.get(j).memsz();
        if (Long.compareUnsigned(mend, pstart) > 0 && Long.compareUnsigned(mstart, pend) < 0) {
          throw new KexecException(Errno.EINVAL, String.format(
              "segment %d [0x%x, 0x%x) overlaps segment %d [0x%x, 0x%x) "
                  + "(kernel/kexec_core.c sanity_check_segment_list)", i, mstart, mend, j, pstart, pend));
        }
      }
    }
    // "Verify our buffer sizes are not larger than the memory sizes."
    for (int i = 0; i < segments.size(); i++) {
      Segment s = segments.get(i);
      if (s.bufsz() > s.memsz()) {
        throw new KexecException(Errno.EINVAL, String.format(
            "segment %d: bufsz 0x%x is larger than memsz 0x%x (kernel/kexec_core.c sanity_check_segment_list)",
            i, s.bufsz(), s.memsz()));
      }
    }
    // "Verify that no more than half of memory will be consumed."
    long half = host.totalRamPages() / 2;
    long total = 0;
    for (int i = 0; i < segments.size(); i++) {
      long pages = (segments.get(i).memsz() + 4095) >>> 12; // PAGE_COUNT
      if (pages > half) {
        throw new KexecException(Errno.EINVAL, String.format(
            "segment %d needs %d pages, more than half of the %d pages of RAM "
                + "(kernel/kexec_core.c sanity_check_segment_list)", i, pages, host.totalRamPages()));
      }
      total += pages;
    }
    if (total > half) {
      throw new KexecException(Errno.EINVAL, String.format(
          "the segments need %d pages in all, more than half of the %d pages of RAM "
              + "(kernel/kexec_core.c sanity_check_segment_list)", total, host.totalRamPages()));
    }
    // "Verify we have good destination addresses" for crash images: all inside crashk_res.
    if (type == ImageType.CRASH) {
      CrashRegion r = host.crashRegion().orElseThrow();
      for (int i = 0; i < segments.size(); i++) {
        Segment s = segments.get(i);
        long mstart = s.mem();
        long mend = mstart + s.memsz() - 1;
        if (Long.compareUnsigned(mstart, r.start()) < 0 || Long.compareUnsigned(mend, r.end()) > 0) {
          throw new KexecException(Errno.EADDRNOTAVAIL, String.format(
              "segment %d [0x%x, 0x%x] lies outside the crash region %s "
                  + "(kernel/kexec_core.c sanity_check_segment_list)", i, mstart, mend, r.range()));
        }
      }
    }
  }
}
