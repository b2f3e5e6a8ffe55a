package org.kexecsim.kimage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.PhysicalMemory;

/**
 * struct kimage: a validated set of segments, its control pages and, once loaded, its
 * indirection list in physical memory.
 *
 * <p>The life cycle follows do_kexec_load() (kernel/kexec.c): {@link #allocate} is
 * kimage_alloc_init() (the checks, the control code page, the swap page); the architecture then
 * prepares its page tables, taking more control pages with {@link #allocateControlPages}; {@link
 * #loadSegments} is the kimage_load_segment() loop followed by kimage_terminate().
 */
public final class KImage {
  /** KEXEC_SEGMENT_MAX (include/linux/kexec.h). */
  public static final int SEGMENT_MAX = 16;

  private static final long PAGE = PhysicalMemory.PAGE_SIZE;

  private final KexecHost host;
  private final ImageType type;
  private final long entry;
  private final List<Segment> segments;
  private final List<Long> controlPages = new ArrayList<>();
  private final IndirectionList list;
  /** Pages that turned out to be somebody's destination, kept for when that destination comes (image->dest_pages). */
  private final Map<Long, Long> spareDestinationPages = new HashMap<>();
  /** For each destination page already given a source: the slot of that SOURCE entry (what kimage_dst_used finds). */
  private final Map<Long, Long> sourceSlotByDestination = new HashMap<>();
  private long crashControlCursor; // image->control_page
  /** A control block the caller placed; the first-fit search steps over it like over a segment. */
  private PhysicalRange fixedBlock;
  private long controlCodePage;
  private long swapPage = -1;
  private boolean loaded;

  private KImage(KexecHost host, ImageType type, long entry, List<Segment> segments) {
    this.host = host;
    this.type = type;
    this.entry = entry;
    this.segments = List.copyOf(segments);
    this.list = new IndirectionList(host.memory(), host.arch(), this::allocateIndirectionPage);
    this.crashControlCursor = host.crashRegion().map(CrashRegion::start).orElse(0L);
  }

  /**
   * kimage_alloc_init(): checks the segments and allocates the control code page and, for a
   * normal image, the swap page.
   *
   * @param fixedControlPage a control code page chosen by the caller instead of the allocator
   *     (to explore placements); it must still be free RAM and clear of the destinations
   * @throws KexecException with the errno the kernel returns
   */
  public static KImage allocate(
      KexecHost host, ImageType type, long entry, List<Segment> segments, OptionalLong fixedControlPage) {
    return allocate(host, type, entry, segments, 1, fixedControlPage);
  }

  /**
   * As {@link #allocate(KexecHost, ImageType, long, List, OptionalLong)} with a control code
   * block of {@code controlCodePages} pages: KEXEC_CONTROL_PAGE_SIZE is one page on x86 today,
   * two on x86_64 before 2006 (the pgd, then the code).
   */
  public static KImage allocate(
      KexecHost host,
      ImageType type,
      long entry,
      List<Segment> segments,
      int controlCodePages,
      OptionalLong fixedControlPage) {
    SegmentRules.check(host, type, entry, segments);
    KImage image = new KImage(host, type, entry, segments);
    if (fixedControlPage.isPresent()) {
      image.controlCodePage = image.claimFixedControlPage(fixedControlPage.getAsLong(), controlCodePages);
    } else {
      image.controlCodePage = image.allocateControlPages(controlCodePages);
    }
    if (type == ImageType.NORMAL) {
      image.swapPage = image.allocateControlPages(1);
    }
    return image;
  }

  public static KImage allocate(KexecHost host, ImageType type, long entry, List<Segment> segments) {
    return allocate(host, type, entry, segments, OptionalLong.empty());
  }

  public ImageType type() {
    return type;
  }

  public Arch arch() {
    return host.arch();
  }

  public KexecHost host() {
    return host;
  }

  public long entry() {
    return entry;
  }

  public List<Segment> segments() {
    return segments;
  }

  public long controlCodePage() {
    return controlCodePage;
  }

  /** The normal image's swap page (for preserve_context); absent for crash images. */
  public OptionalLong swapPage() {
    return swapPage < 0 ? OptionalLong.empty() : OptionalLong.of(swapPage);
  }

  /** Every control page allocated, in order (blocks by their first page). */
  public List<Long> controlPages() {
    return List.copyOf(controlPages);
  }

  /** image->head; IND_DONE for a crash image. Valid after {@link #loadSegments}. */
  public long head() {
    return list.head();
  }

  public IndirectionList indirectionList() {
    return list;
  }

  /** Whether {@code [first, last]} meets any segment's destination (kimage_is_destination_range). */
  public boolean isDestinationRange(long first, long last) {
    for (Segment s : segments) {
      long mstart = s.mem();
      long mend = s.mem() + s.memsz() - 1;
      if (Long.compareUnsigned(last, mstart) >= 0 && Long.compareUnsigned(first, mend) <= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * kimage_alloc_control_pages(image, order) for a block of {@code pages} (a power of two).
   *
   * @return the block's physical address
   * @throws KexecException ENOMEM when no block satisfies the rules
   */
  public long allocateControlPages(int pages) {
    long pa = type == ImageType.CRASH ? crashControlPages(pages) : normalControlPages(pages);
    if (pa < 0) {
      throw new KexecException(Errno.ENOMEM, String.format(
          "no %s control block of %d page(s): %s", type.cliName(), pages,
          type == ImageType.CRASH
              ? "the crash region " + host.crashRegion().map(Object::toString).orElse("(none)")
                  + " has no hole clear of the segments"
              : String.format("no free block below KEXEC_CONTROL_MEMORY_LIMIT 0x%x clear of the destinations",
                  host.arch().controlMemoryLimit())));
    }
    controlPages.add(pa);
    return pa;
  }

  /**
   * kimage_alloc_normal_control_pages(): take blocks from the page allocator until one ends
   * below KEXEC_CONTROL_MEMORY_LIMIT (epfn &lt; limit &gt;&gt; PAGE_SHIFT) and is no destination;
   * the rejects stay allocated until the image is freed, so they are never offered again. On
   * i386 the GFP_KERNEL allocation also keeps it in lowmem.
   */
  private long normalControlPages(int pages) {
    Arch arch = host.arch();
    long limit = Math.min(((arch.controlMemoryLimit() >>> 12) - 1) << 12, arch.lowmemLimit());
    while (true) {
      long pa = host.freePages().allocate(pages, limit);
      if (pa < 0) {
        return -1;
      }
      if (!isDestinationRange(pa, pa + pages * PAGE - 1)) {
        return pa;
      }
    }
  }

  /**
   * kimage_alloc_crash_control_pages(): first fit from image->control_page upwards, aligned to
   * the block size, skipping past any segment it meets, within crashk_res and below
   * KEXEC_CRASH_CONTROL_MEMORY_LIMIT.
   */
  private long crashControlPages(int pages) {
    if (host.crashRegion().isEmpty()) {
      return -1;
    }
    CrashRegion region = host.crashRegion().get();
    long size = pages * PAGE;
    long holeStart = alignUp(crashControlCursor, size);
    long holeEnd = holeStart + size - 1;
    while (Long.compareUnsigned(holeEnd, region.end()) <= 0) {
      if (Long.compareUnsigned(holeEnd, host.arch().controlMemoryLimit()) > 0) {
        return -1;
      }
      boolean clear = true;
      if (fixedBlock != null && fixedBlock.overlaps(holeStart, holeEnd)) {
        holeStart = alignUp(fixedBlock.end(), size);
        holeEnd = holeStart + size - 1;
        continue;
      }
      for (Segment s : segments) {
        long mstart = s.mem();
        long mend = mstart + s.memsz() - 1;
        if (Long.compareUnsigned(holeEnd, mstart) >= 0 && Long.compareUnsigned(holeStart, mend) <= 0) {
          holeStart = alignUp(mend, size); // ALIGN(mend, size): past the segment's last byte
          holeEnd = holeStart + size - 1;
          clear = false;
          break;
        }
      }
      if (clear) {
        crashControlCursor = holeEnd + 1;
        return holeStart;
      }
    }
    return -1;
  }

  private long claimFixedControlPage(long pa, int pages) {
    long bytes = pages * PAGE;
    if ((pa & (bytes - 1)) != 0 || !host.memory().ramMap().containsRange(pa, bytes)) {
      throw new ImpossibleLayoutException(String.format(
          "control block 0x%x is not %d naturally aligned page(s) of RAM", pa, pages));
    }
    if (isDestinationRange(pa, pa + bytes - 1)) {
      throw new ImpossibleLayoutException(String.format(
          "control page 0x%x is a destination: the copy would overwrite the code doing it", pa));
    }
    if (type == ImageType.CRASH
        && !host.crashRegion().map(r -> r.range().containsInclusive(pa, pa + bytes - 1)).orElse(false)) {
      throw new ImpossibleLayoutException(String.format(
          "control page 0x%x of a crash image must lie in the crash region", pa));
    }
    if (type == ImageType.NORMAL && (host.memory().mayBeNonZero(pa) || host.memory().mayBeNonZero(pa + bytes - PAGE))) {
      throw new ImpossibleLayoutException(String.format("control page 0x%x is in use by the running kernel", pa));
    }
    fixedBlock = new PhysicalRange(pa, bytes);
    // Materialise it so the page allocator sees it taken (RandomFreePages skips written frames).
    host.memory().write(pa, new byte[(int) bytes], 0, (int) bytes);
    controlPages.add(pa);
    return pa;
  }

  /**
   * kimage_crash_copy_vmcoreinfo() (kernel/kexec_core.c): a crash image keeps a copy of the
   * VMCOREINFO data in a control page inside the crash region, where crash_save_vmcoreinfo()
   * writes at panic time. Called after machine_kexec_prepare(), as do_kexec_load() does.
   *
   * @return the control page holding the copy
   */
  public long crashCopyVmcoreinfo(byte[] data) {
    if (type != ImageType.CRASH) {
      throw new IllegalStateException("only crash images keep a VMCOREINFO copy");
    }
    if (data.length > PAGE) {
      throw new IllegalArgumentException("VMCOREINFO data is at most a page (VMCOREINFO_BYTES)");
    }
    long pa = allocateControlPages(1);
    byte[] page = new byte[(int) PAGE];
    System.arraycopy(data, 0, page, 0, data.length);
    host.memory().write(pa, page, 0, page.length);
    return pa;
  }

  /**
   * Loads every segment and terminates the list: kimage_load_normal_segment() builds the
   * source list, kimage_load_crash_segment() writes straight into the crash region.
   */
  public void loadSegments() {
    if (loaded) {
      throw new IllegalStateException("segments already loaded");
    }
    loaded = true;
    for (Segment s : segments) {
      if (type == ImageType.CRASH) {
        loadCrashSegment(s);
      } else {
        loadNormalSegment(s);
      }
    }
    list.terminate();
  }

  private void loadCrashSegment(Segment s) {
    byte[] page = new byte[(int) PAGE];
    for (long offset = 0; offset < s.memsz(); offset += PAGE) {
      s.copyData(offset, page);
      host.memory().write(s.mem() + offset, page, 0, page.length);
    }
  }

  private void loadNormalSegment(Segment s) {
    byte[] page = new byte[(int) PAGE];
    long destination = s.mem();
    list.setDestination(destination);
    for (long offset = 0; offset < s.memsz(); offset += PAGE) {
      long source = allocatePage(destination + offset, pagesUpTo(host.arch().sourceMemoryLimit()));
      list.addSource(source);
      sourceSlotByDestination.put(destination + offset, list.lastWrittenSlot());
      s.copyData(offset, page);
      host.memory().write(source, page, 0, page.length);
    }
  }

  private long allocateIndirectionPage() {
    // GFP_KERNEL: lowmem on i386.
    long limit = pagesUpTo(host.arch().sourceMemoryLimit());
    if (Long.compareUnsigned(host.arch().lowmemLimit(), limit) < 0) {
      limit = host.arch().lowmemLimit();
    }
    return allocatePage(-1, limit);
  }

  /**
   * kimage_alloc_page(image, gfp, destination): a page that is {@code destination} itself or no
   * destination at all. A fresh page that is some other page's destination either takes over
   * that destination's existing source (copy, repoint the SOURCE entry, reuse the old page) or is
   * kept for later.
   *
   * @param destination the page's destination, or -1 for KIMAGE_NO_DEST
   */
  private long allocatePage(long destination, long limit) {
    Long spare = spareDestinationPages.remove(destination);
    if (spare != null) {
      return spare;
    }
    while (true) {
      long pa = host.freePages().allocate(1, limit);
      if (pa < 0) {
        throw new KexecException(Errno.ENOMEM, String.format(
            "no free page for %s", destination < 0 ? "an indirection page"
                : String.format("the source of destination 0x%x", destination)));
      }
      if (pa == destination || !isDestinationRange(pa, pa + PAGE - 1)) {
        return pa;
      }
      Long slot = sourceSlotByDestination.get(pa);
      if (slot != null) {
        long oldEntry = readSlot(slot);
        long oldPage = oldEntry & ~0xFFFL;
        host.memory().copyPage(oldPage, pa);
        list.rewrite(slot, pa | (oldEntry & 0xFFF));
        return oldPage;
      }
      spareDestinationPages.put(pa, pa);
    }
  }

  private long readSlot(long slot) {
    return IndirectionEntry.read(host.memory(), slot, host.arch().longBytes());
  }

  /**
   * The exclusive end of the pages whose pfn is at most {@code limit >> PAGE_SHIFT}, as
   * kimage_alloc_page() filters them ("page_to_boot_pfn(page) > (KEXEC_SOURCE_MEMORY_LIMIT >>
   * PAGE_SHIFT)"); -1 (no bound) when that reaches 2^64.
   */
  private static long pagesUpTo(long limit) {
    long end = ((limit >>> 12) + 1) << 12;
    return end == 0 ? -1L : end;
  }

  private static long alignUp(long value, long alignment) {
    return (value + alignment - 1) & -alignment;
  }

  @Override
  public String toString() {
    return String.format("kimage{%s, entry=0x%x, %d segments, control=0x%x, %s}",
        type.cliName(), entry, segments.size(), controlCodePage,
        ByteSize.format(segments.stream().mapToLong(Segment::memsz).sum()));
  }
}
