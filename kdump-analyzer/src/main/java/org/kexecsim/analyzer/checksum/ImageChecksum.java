package org.kexecsim.analyzer.checksum;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.util.encoders.Hex;
import org.kexecsim.analyzer.FrameIndex;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.checksum.ChecksumReport.PageDigest;
import org.kexecsim.analyzer.checksum.ChecksumReport.RangeDigest;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * Digests of an image's physical content, not of its file: an ELF core and a raw image of the
 * same memory and RAM map give the same digests.
 *
 * <p>Scheme "ALGO-tree-4M" (H = BLAKE3-256 or SHA-256, all integers little-endian u64):
 *
 * <pre>
 * leaf(r, k)   = H(bytes of range r from offset k*4MiB, up to 4 MiB; the last chunk is shorter)
 * range(r)     = H(leaf(r, 0) || leaf(r, 1) || ...)
 * image        = H(start(r0) || size(r0) || range(r0) || start(r1) || ... )   ranges ascending
 * page(p)      = H(the 4 KiB page at p, clipped to its range)                 with --per-page
 * </pre>
 *
 * Why a tree and not H(range bytes): the leaves are independent, so both cores hash one large
 * RAM range at once (the usual x86 map has one range holding nearly all RAM, so spreading whole
 * ranges over threads would leave one core idle); and a chunk the image cannot hold data in
 * (a hole of a sparse dump) costs one cached digest of zeros instead of hashing gigabytes of
 * zeros. A page the dump excluded (makedumpfile's dump level) is left out of its leaf and has no
 * page digest; the report states how many bytes that was, since its digests then cover less
 * than the RAM map. The range and image digests therefore differ from {@code b3sum}/{@code sha256sum} of
 * the raw bytes; the page digests equal {@code sha256sum} of each page.
 */
public final class ImageChecksum {
  public static final long CHUNK = 4L << 20;
  private static final int PAGE = PhysicalMemory.PAGE_SIZE;
  private static final byte[] ZEROS = new byte[(int) CHUNK];
  private static final ThreadLocal<byte[]> CHUNK_BUFFER = ThreadLocal.withInitial(() -> new byte[(int) CHUNK]);

  private ImageChecksum() {}

  private record Task(int range, int index, long start, int length) {}

  private record Result(byte[] leaf, List<PageDigest> pages) {}

  public static String scheme(DigestAlgorithm algorithm) {
    return algorithm.cliName() + "-tree-" + (CHUNK >> 20) + "M";
  }

  /**
   * @param threads workers; 0 means one per core. Only file-mapped images are hashed in parallel:
   *     a simulated SparseMemory is not safe for concurrent readers
   */
  public static ChecksumReport compute(PhysicalMemory memory, DigestAlgorithm algorithm, boolean perPage, int threads) {
    return compute(memory, algorithm, perPage, threads, Progress.NONE);
  }

  /** As {@link #compute(PhysicalMemory, DigestAlgorithm, boolean, int)}, telling {@code progress} the bytes hashed. */
  public static ChecksumReport compute(PhysicalMemory memory, DigestAlgorithm algorithm, boolean perPage, int threads,
      Progress progress) {
    List<RamRange> ranges = memory.ramMap().ranges();
    List<Task> tasks = new ArrayList<>();
    for (int r = 0; r < ranges.size(); r++) {
      RamRange range = ranges.get(r);
      int k = 0;
      for (long off = 0; off < range.size(); off += CHUNK, k++) {
        tasks.add(new Task(r, k, range.start() + off, (int) Math.min(CHUNK, range.size() - off)));
      }
    }
    Map<Long, byte[]> zeroLeaves = new ConcurrentHashMap<>();
    FrameIndex frames = FrameIndex.of(memory);
    List<Result> results = run(tasks, t -> {
          Result r = frames.mayHaveData(t.start(), t.start() + t.length())
              ? hashChunk(memory, algorithm, t, perPage, zeroLeaves)
              : zeroChunk(algorithm, t, perPage, zeroLeaves);
          progress.advance(t.length());
          return r;
        },
        memory.concurrentReads() ? threads : 1);

    List<RangeDigest> rangeDigests = new ArrayList<>();
    List<PageDigest> pages = new ArrayList<>();
    Digest image = algorithm.newDigest();
    int i = 0;
    for (int r = 0; r < ranges.size(); r++) {
      Digest rd = algorithm.newDigest();
      while (i < tasks.size() && tasks.get(i).range() == r) {
        byte[] leaf = results.get(i).leaf();
        rd.update(leaf, 0, leaf.length);
        pages.addAll(results.get(i).pages());
        i++;
      }
      byte[] rangeDigest = finish(rd);
      RamRange range = ranges.get(r);
      byte[] head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(range.start()).putLong(range.size()).array();
      image.update(head, 0, 16);
      image.update(rangeDigest, 0, rangeDigest.length);
      rangeDigests.add(new RangeDigest(range.start(), range.size(), Hex.toHexString(rangeDigest)));
    }
    return new ChecksumReport(algorithm, scheme(algorithm), CHUNK, Hex.toHexString(finish(image)),
        List.copyOf(rangeDigests), List.copyOf(pages), memory.excludedBytes());
  }

  /** Recomputes with the saved list's algorithm (and per-page digests if it has them) and compares. */
  public static ChecksumVerification verify(PhysicalMemory memory, ChecksumReport saved, int threads) {
    return verify(memory, saved, threads, Progress.NONE);
  }

  public static ChecksumVerification verify(PhysicalMemory memory, ChecksumReport saved, int threads, Progress progress) {
    if (!saved.scheme().equals(scheme(saved.algorithm())) || saved.chunkSize() != CHUNK) {
      throw new IllegalArgumentException("digest list uses scheme " + saved.scheme() + "; this version computes "
          + scheme(saved.algorithm()));
    }
    ChecksumReport now = compute(memory, saved.algorithm(), !saved.pages().isEmpty(), threads, progress);
    List<String> mismatches = new ArrayList<>();
    if (!now.image().equals(saved.image())) {
      mismatches.add("image");
    }
    if (now.excludedBytes() != saved.excludedBytes()) {
      mismatches.add(String.format("coverage: the image leaves out %d bytes, the digest list %d", now.excludedBytes(),
          saved.excludedBytes()));
    }
    Map<Long, RangeDigest> nowRanges = new HashMap<>();
    now.ranges().forEach(r -> nowRanges.put(r.start(), r));
    for (RangeDigest r : saved.ranges()) {
      RangeDigest c = nowRanges.remove(r.start());
      String name = String.format("range 0x%x-0x%x", r.start(), r.start() + r.size() - 1);
      if (c == null || c.size() != r.size()) {
        mismatches.add(name + " is not in the image's RAM map");
      } else if (!c.digest().equals(r.digest())) {
        mismatches.add(name);
      }
    }
    nowRanges.values().forEach(r -> mismatches.add(String.format("range 0x%x-0x%x is not in the digest list",
        r.start(), r.start() + r.size() - 1)));
    Map<Long, String> nowPages = new HashMap<>();
    now.pages().forEach(p -> nowPages.put(p.physical(), p.digest()));
    for (PageDigest p : saved.pages()) {
      if (!p.digest().equals(nowPages.get(p.physical()))) {
        mismatches.add(String.format("page 0x%x", p.physical()));
      }
    }
    return new ChecksumVerification(now, List.copyOf(mismatches));
  }

  private static Result hashChunk(PhysicalMemory memory, DigestAlgorithm algorithm, Task t, boolean perPage,
      Map<Long, byte[]> zeroLeaves) {
    if (memory.excludedBytes() > 0 && anyExcluded(memory, t)) {
      return heldPagesOnly(memory, algorithm, t, perPage);
    }
    byte[] buf = CHUNK_BUFFER.get(); // one per worker: a pass over the image allocates no chunk buffers
    memory.read(t.start(), buf, 0, t.length());
    if (Arrays.mismatch(buf, 0, t.length(), ZEROS, 0, t.length()) < 0) {
      // All zeros: comparing is ~30x faster than hashing (holes the file system reports never get here).
      return zeroChunk(algorithm, t, perPage, zeroLeaves);
    }
    Digest d = algorithm.newDigest();
    d.update(buf, 0, t.length());
    List<PageDigest> pages = new ArrayList<>();
    if (perPage) {
      Digest pd = algorithm.newDigest();
      eachPage(t, (pa, n) -> {
        pd.update(buf, (int) (pa - t.start()), n);
        pages.add(new PageDigest(pa, Hex.toHexString(finish(pd))));
      });
    }
    return new Result(finish(d), pages);
  }

  private static boolean anyExcluded(PhysicalMemory memory, Task t) {
    for (long p = t.start() & -PAGE; p < t.start() + t.length(); p += PAGE) {
      if (memory.isExcluded(p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A chunk with pages the dump excluded: the leaf hashes the pages it holds, in address order,
   * and an excluded page gets no page digest. Unknown content is never hashed as zeros.
   */
  private static Result heldPagesOnly(PhysicalMemory memory, DigestAlgorithm algorithm, Task t, boolean perPage) {
    Digest d = algorithm.newDigest();
    Digest pd = algorithm.newDigest();
    byte[] page = new byte[PAGE];
    List<PageDigest> pages = new ArrayList<>();
    eachPage(t, (pa, n) -> {
      if (memory.isExcluded(pa)) {
        return;
      }
      memory.read(pa, page, 0, n);
      d.update(page, 0, n);
      if (perPage) {
        pd.update(page, 0, n);
        pages.add(new PageDigest(pa, Hex.toHexString(finish(pd))));
      }
    });
    return new Result(finish(d), pages);
  }

  /** Digests of a chunk of zeros, from the cache; page digests are keyed by negative length. */
  private static Result zeroChunk(DigestAlgorithm algorithm, Task t, boolean perPage, Map<Long, byte[]> zeroLeaves) {
    byte[] leaf = zeroLeaves.computeIfAbsent((long) t.length(), len -> digestOfZeros(algorithm, len));
    List<PageDigest> pages = new ArrayList<>();
    if (perPage) {
      eachPage(t, (pa, n) -> pages.add(new PageDigest(pa,
          Hex.toHexString(zeroLeaves.computeIfAbsent(-(long) n, len -> digestOfZeros(algorithm, -len))))));
    }
    return new Result(leaf, pages);
  }

  private interface PageSink {
    void accept(long physical, int length);
  }

  /** The page pieces of a chunk: whole pages, clipped at the chunk (range) edges. */
  private static void eachPage(Task t, PageSink sink) {
    long end = t.start() + t.length();
    for (long p = t.start(); p < end; ) {
      long next = Math.min((p & -PAGE) + PAGE, end);
      sink.accept(p, (int) (next - p));
      p = next;
    }
  }

  private static byte[] digestOfZeros(DigestAlgorithm algorithm, long length) {
    Digest d = algorithm.newDigest();
    byte[] zeros = new byte[(int) Math.min(length, 1 << 20)];
    for (long done = 0; done < length; done += zeros.length) {
      d.update(zeros, 0, (int) Math.min(zeros.length, length - done));
    }
    return finish(d);
  }

  private static byte[] finish(Digest d) {
    byte[] out = new byte[d.getDigestSize()];
    d.doFinal(out, 0);
    return out;
  }

  private static <R> List<R> run(List<Task> tasks, java.util.function.Function<Task, R> job, int threads) {
    return org.kexecsim.analyzer.Workers.map(tasks, threads, "checksum", job);
  }
}
