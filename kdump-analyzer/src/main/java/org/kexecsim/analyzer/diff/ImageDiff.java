package org.kexecsim.analyzer.diff;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.kexecsim.analyzer.FrameIndex;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.dump.Libc;
import org.kexecsim.dump.MappedFileMemory;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * Compares two images address by address. Memory present in both is compared in 64 MiB chunks:
 * when both sides are file mappings, {@link MemorySegment#mismatch} skips equal 64 KiB blocks at
 * memory speed, and each mismatch found resumes at the next page, so the cost is one
 * pass over the bytes plus one call per differing page. Pages neither side can hold non-zero
 * bytes in (holes of a sparse machine, zero-filled ELF tails) are not read at all. Chunks run on
 * all cores when both images are file mappings (thread-safe readers); simulated memories are
 * compared on the calling thread.
 */
public final class ImageDiff {
  static final long CHUNK = 64L << 20;
  /** Within a chunk of two file mappings, the unit whose holes are skipped. */
  static final long SPAN = 2L << 20;
  /** The unit of one mismatch call within a mapped run. */
  static final long BLOCK = 64L << 10;
  /** Piece codes of pages a dump excluded (makedumpfile -d): bit 2 for A, bit 3 for B. */
  private static final int EXCLUDED_A = 4;
  private static final int EXCLUDED_B = 8;
  private static final int PAGE = PhysicalMemory.PAGE_SIZE;

  private ImageDiff() {}

  /** An interval of physical address space and which images have RAM there. */
  private record Span(long start, long end, boolean inA, boolean inB) {}

  /**
   * Compares the physical memory of two images page by page and returns the differing ranges,
   * tagged (crash region, page tables of A's old kernel, kernel text) as {@code options} allow;
   * {@link DiffOptions#NONE} tags nothing. RAM that only one image has is a range of its own.
   */
  public static DiffReport diff(PhysicalMemory a, PhysicalMemory b, DiffOptions options) {
    List<Span> spans = spans(a, b);
    Set<Long> tablePages = tablePages(a, options);
    long onlyA = 0;
    long onlyB = 0;
    long compared = 0;
    List<long[]> work = new ArrayList<>(); // {start, end} chunks present in both
    for (Span s : spans) {
      long len = s.end - s.start;
      if (s.inA && s.inB) {
        compared += len;
        for (long c = s.start; Long.compareUnsigned(c, s.end) < 0; c += Math.min(CHUNK, s.end - c)) {
          work.add(new long[] {c, c + Math.min(CHUNK, s.end - c)});
        }
      } else if (s.inA) {
        onlyA += len;
      } else if (s.inB) {
        onlyB += len;
      }
    }
    List<long[]> differing = compareAll(a, b, work, options.threads(), options.progress());

    List<DiffRange> ranges = new ArrayList<>();
    Builder builder = new Builder(ranges);
    long pages = 0;
    long bytes = 0;
    // Merge the one-sided spans and the differing pieces in address order.
    List<long[]> pieces = new ArrayList<>();
    for (long[] d : differing) {
      if (d.length == 3) { // excluded from a dump: tagged, not counted as differing
        pieces.add(d);
        continue;
      }
      pieces.add(new long[] {d[0], d[1], 0});
      pages++;
      bytes += d[1] - d[0];
    }
    for (Span s : spans) {
      if (s.inA != s.inB) {
        pieces.add(new long[] {s.start, s.end, s.inA ? 1 : 2});
      }
    }
    pieces.sort((x, y) -> Long.compareUnsigned(x[0], y[0]));
    for (long[] p : pieces) {
      EnumSet<DiffTag> tags = EnumSet.noneOf(DiffTag.class);
      if (p[2] == 1) {
        tags.add(DiffTag.ONLY_IN_A);
      } else if (p[2] == 2) {
        tags.add(DiffTag.ONLY_IN_B);
      } else if (p[2] == EXCLUDED_A) {
        tags.add(DiffTag.EXCLUDED_IN_A);
      } else if (p[2] == EXCLUDED_B) {
        tags.add(DiffTag.EXCLUDED_IN_B);
      } else if (p[2] == (EXCLUDED_A | EXCLUDED_B)) {
        tags.add(DiffTag.EXCLUDED_IN_A);
        tags.add(DiffTag.EXCLUDED_IN_B);
      }
      if (options.crashRegion().isPresent() && overlaps(options.crashRegion().get(), p[0], p[1])) {
        tags.add(DiffTag.CRASH_REGION);
      }
      if (options.kernelText().isPresent() && overlaps(options.kernelText().get(), p[0], p[1])) {
        tags.add(DiffTag.KERNEL_TEXT);
      }
      if (p[2] == 0 && tablePages.contains(p[0] & -PAGE)) {
        tags.add(DiffTag.PAGE_TABLE);
      }
      builder.add(p[0], p[1], tags);
    }
    builder.flush();
    return new DiffReport(List.copyOf(ranges), compared, pages, bytes, onlyA, onlyB);
  }

  /** Coalesces adjacent pieces with equal tags. */
  private static final class Builder {
    private final List<DiffRange> out;
    private long start;
    private long end;
    private Set<DiffTag> tags;

    Builder(List<DiffRange> out) {
      this.out = out;
    }

    void add(long s, long e, Set<DiffTag> t) {
      if (tags != null && s == end && t.equals(tags)) {
        end = e;
        return;
      }
      flush();
      start = s;
      end = e;
      tags = t;
    }

    void flush() {
      if (tags != null) {
        out.add(new DiffRange(start, end - start, tags));
        tags = null;
      }
    }
  }

  private static boolean overlaps(RamRange r, long start, long end) {
    return Long.compareUnsigned(r.start(), end) < 0 && Long.compareUnsigned(start, r.end()) < 0;
  }

  private static Set<Long> tablePages(PhysicalMemory a, DiffOptions options) {
    Set<Long> pages = new HashSet<>();
    options.oldKernelPaging().ifPresent(ctx -> PageTables.walk(a, ctx.state(), new PageTables.Visitor() {
      @Override
      public void table(long physical, int bytes, int level, long linearBase) {
        pages.add(physical & -PAGE);
      }
    }));
    return pages;
  }

  /** The address space cut at every range boundary of either image. */
  private static List<Span> spans(PhysicalMemory a, PhysicalMemory b) {
    TreeSet<Long> cuts = new TreeSet<>(Long::compareUnsigned);
    for (RamRange r : a.ramMap().ranges()) {
      cuts.add(r.start());
      cuts.add(r.end());
    }
    for (RamRange r : b.ramMap().ranges()) {
      cuts.add(r.start());
      cuts.add(r.end());
    }
    List<Span> out = new ArrayList<>();
    Long prev = null;
    for (long c : cuts) {
      if (prev != null) {
        boolean inA = a.ramMap().contains(prev);
        boolean inB = b.ramMap().contains(prev);
        if (inA || inB) {
          out.add(new Span(prev, c, inA, inB));
        }
      }
      prev = c;
    }
    return out;
  }

  private static List<long[]> compareAll(PhysicalMemory a, PhysicalMemory b, List<long[]> work, int threads,
      org.kexecsim.analyzer.Progress progress) {
    boolean parallel = a.concurrentReads() && b.concurrentReads();
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    List<long[]> out = new ArrayList<>();
    if (!parallel || n == 1 || work.size() == 1) {
      FrameIndex ia = FrameIndex.of(a);
      FrameIndex ib = FrameIndex.of(b);
      for (long[] w : work) {
        if (ia.mayHaveData(w[0], w[1]) || ib.mayHaveData(w[0], w[1])) {
          compareChunk(a, b, w[0], w[1], out);
        }
        progress.advance(w[1] - w[0]);
      }
      return out;
    }
    FrameIndex fa = FrameIndex.of(a);
    FrameIndex fb = FrameIndex.of(b);
    for (List<long[]> local : org.kexecsim.analyzer.Workers.map(work, n, "diff", w -> {
      List<long[]> found = new ArrayList<>();
      // holes of sparse files on both sides are equal without reading them
      if (fa.mayHaveData(w[0], w[1]) || fb.mayHaveData(w[0], w[1])) {
        compareChunk(a, b, w[0], w[1], found);
      }
      progress.advance(w[1] - w[0]);
      return found;
    })) {
      out.addAll(local);
    }
    return out;
  }

  /**
   * Compares {@code [from, to)} of two file mappings whose byte 0 is physical {@code base}: the
   * pages are mapped in one batch per side ({@link Libc#populate}), then compared by
   * {@link #BLOCK}s with {@link MemorySegment#mismatch}, which resumes at the page after each
   * difference found. Never libc's memcmp, though it runs at full speed before the JIT has
   * compiled mismatch (0.2 s less CPU time on 3 GiB): a native load from a page the file lost
   * meanwhile raises SIGBUS, which kills the JVM, where mismatch raises the InternalError that
   * MappedFiles reports (ChangingFileTest). Blocks, not the whole run in one call: the JIT
   * compiles mismatch, with its vector intrinsic, after some hundred calls, while one call over
   * 64 MiB would run its loop in the interpreter until an on-stack replacement.
   */
  private static void compareMapped(MemorySegment mapA, MemorySegment mapB, long base, long from, long to, List<long[]> out) {
    long len = to - from;
    MemorySegment x = mapA.asSlice(from - base, len);
    MemorySegment y = mapB.asSlice(from - base, len);
    Libc.populate(x);
    Libc.populate(y);
    long pos = 0; // where the search resumes: a differing page can reach into the next block
    for (long b = 0; b < len; b += BLOCK) {
      long blockEnd = Math.min(len, b + BLOCK);
      pos = Math.max(pos, b);
      while (pos < blockEnd) {
        long rel = MemorySegment.mismatch(x, pos, blockEnd, y, pos, blockEnd);
        if (rel < 0) {
          pos = blockEnd;
          break;
        }
        long m = pos + rel; // mismatch() counts from the slice start
        long pageStart = ((from + m) & -PAGE);
        long pieceStart = Math.max(pageStart, from);
        long pieceEnd = Math.min(pageStart + PAGE, to);
        out.add(new long[] {pieceStart, pieceEnd});
        pos = pieceEnd - from;
      }
    }
    // compared once: drop the pages from this process (they stay in the page cache), so resident
    // memory stays a chunk per worker however large the images
    x.unload();
    y.unload();
  }

  /**
   * Appends {start, end} of every differing page piece of {@code [start, end)}, and {start, end,
   * code} of every page one side's dump excluded: those are not read at all.
   */
  static void compareChunk(PhysicalMemory a, PhysicalMemory b, long start, long end, List<long[]> out) {
    Optional<MemorySegment> sa = a instanceof MappedFileMemory ma ? ma.fileBacked(start, end - start) : Optional.empty();
    Optional<MemorySegment> sb = b instanceof MappedFileMemory mb ? mb.fileBacked(start, end - start) : Optional.empty();
    if (sa.isPresent() && sb.isPresent()) {
      // a sparse file maps its holes as zero pages: compare only the runs of spans where either
      // side has data (a dense pair is one run: one populate per side and chunk)
      FrameIndex ia = FrameIndex.of(a);
      FrameIndex ib = FrameIndex.of(b);
      long run = -1;
      for (long s = start; s < end; s += SPAN) {
        long e = Math.min(end, s + SPAN);
        boolean data = ia.mayHaveData(s, e) || ib.mayHaveData(s, e);
        if (data && run < 0) {
          run = s;
        } else if (!data && run >= 0) {
          compareMapped(sa.get(), sb.get(), start, run, s, out);
          run = -1;
        }
      }
      if (run >= 0) {
        compareMapped(sa.get(), sb.get(), start, run, end, out);
      }
      return;
    }
    byte[] pa = new byte[PAGE];
    byte[] pb = new byte[PAGE];
    for (long p = start; p < end; ) {
      long pageEnd = Math.min((p & -PAGE) + PAGE, end);
      int n = (int) (pageEnd - p);
      int excluded = (a.isExcluded(p) ? EXCLUDED_A : 0) | (b.isExcluded(p) ? EXCLUDED_B : 0);
      if (excluded != 0) {
        out.add(new long[] {p, pageEnd, excluded});
        p = pageEnd;
        continue;
      }
      boolean equal;
      if (!a.mayBeNonZero(p) && !b.mayBeNonZero(p)) {
        equal = true;
      } else if (n == PAGE) {
        // the decoding side compares against the mapped one without copying it
        equal = a instanceof MappedFileMemory ? b.pageEquals(p, a, p) : a.pageEquals(p, b, p);
      } else {
        a.read(p, pa, 0, n);
        b.read(p, pb, 0, n);
        equal = java.util.Arrays.equals(pa, 0, n, pb, 0, n);
      }
      if (!equal) {
        out.add(new long[] {p, pageEnd});
      }
      p = pageEnd;
    }
  }
}
