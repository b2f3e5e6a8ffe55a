package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.Workers;
import org.kexecsim.analyzer.checksum.ChecksumReport.RangeDigest;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * Digests of an image's physical content, not of its file: an ELF core, a kdump-compressed dump
 * and a raw image of the same memory give the same digests.
 *
 * <p>The image digest is the plain hash of its RAM ranges' bytes concatenated in address order,
 * so it equals {@code sha256sum} (or {@code b3sum}) of the raw image {@code kexec-sim} or QEMU's
 * {@code dump-guest-memory} would write of that memory: anyone can reproduce it with a stock tool.
 * A range digest is the same over one range. Pages the dump excluded (makedumpfile's dump level)
 * are left out of the stream and the report says how many bytes that was, since the digest then
 * covers less than the RAM map; unknown content is never hashed as zeros.
 *
 * <p>SHA-256 is one stream on one core, fed straight from the file mapping (no copies) to
 * libcrypto where it loads ({@link Sha256Stream}). BLAKE3
 * splits the stream into 4 MiB subtrees hashed on all cores and merged in order ({@link Blake3}).
 * Page digests (XXH3 by default) are computed on a second thread while the image is hashed and
 * handed to a {@link PageSink} in address order as they are made: no table of them is kept.
 */
public final class ImageChecksum {
  private static final int PAGE = PhysicalMemory.PAGE_SIZE;
  /** A BLAKE3 subtree hashed by one worker: 4096 chunks. */
  static final int SUBTREE = MemoryStream.PIECE;
  /** Subtrees handed to the workers at once. */
  private static final int BATCH = 256;
  /**
   * Without the C library, below this many bytes BLAKE3 goes chunk by chunk: until C2 has
   * compiled the vector lanes they run the Vector API's Java fallback, about a CPU-second per
   * process, more than the lanes save on less (measured with the CLI: 64 MiB 0.95 s CPU chunk by
   * chunk vs 1.8 s with lanes; 512 MiB 2.5 s vs 2.2 s; 3 GiB 10.6 s vs 3.1 s). The C library has
   * no warm-up: it hashes every size.
   */
  static final long LANES_FROM = 256L << 20;

  private ImageChecksum() {}

  /** Receives page digests in address order. */
  public interface PageSink {
    void page(long physical, String digest);
  }

  /** What to compute: the image digest, optionally one per range and one per page. */
  public record Request(DigestAlgorithm algorithm, boolean perRange, DigestAlgorithm pageAlgorithm, int threads) {
    public Request {
      if (!algorithm.forImages()) {
        throw new IllegalArgumentException(algorithm.cliName() + " digests pages only (use it with --page-algo)");
      }
    }

    /** The image only, on all cores. */
    public static Request of(DigestAlgorithm algorithm) {
      return new Request(algorithm, false, null, 0);
    }
  }

  /** The image digest alone ({@link Request#of}), on all cores, without progress: the API's short form. */
  public static ChecksumReport compute(PhysicalMemory memory, DigestAlgorithm algorithm) {
    return compute(memory, Request.of(algorithm), (physical, digest) -> { }, Progress.NONE);
  }

  /** Computes the digests; page digests (when asked for) go to {@code pages} as they are made. */
  public static ChecksumReport compute(PhysicalMemory memory, Request request, PageSink pages, Progress progress) {
    List<RamRange> ranges = memory.ramMap().ranges();
    ExecutorService side = null;
    Future<Long> pageCount = null;
    if (request.pageAlgorithm() != null && memory.concurrentReads()) {
      side = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "checksum-pages");
        t.setDaemon(true);
        return t;
      });
      pageCount = side.submit(() -> pageDigests(memory, ranges, request.pageAlgorithm(), pages));
    }
    try {
      int threads = request.threads() > 0 ? request.threads() : Runtime.getRuntime().availableProcessors();
      byte[] image = digest(memory, ranges, request.algorithm(), threads, progress);
      List<RangeDigest> rangeDigests = new ArrayList<>();
      if (request.perRange()) {
        for (RamRange r : ranges) {
          byte[] d = ranges.size() == 1 ? image : digest(memory, List.of(r), request.algorithm(), threads, Progress.NONE);
          rangeDigests.add(new RangeDigest(r.start(), r.size(), HexFormat.of().formatHex(d)));
        }
      }
      long count;
      if (request.pageAlgorithm() == null) {
        count = 0;
      } else if (pageCount == null) {
        count = pageDigests(memory, ranges, request.pageAlgorithm(), pages);
      } else {
        count = join(pageCount);
      }
      return new ChecksumReport(request.algorithm(), HexFormat.of().formatHex(image), List.copyOf(rangeDigests),
          memory.excludedBytes(), request.pageAlgorithm(), count);
    } finally {
      if (side != null) {
        side.shutdownNow();
      }
    }
  }

  private static long join(Future<Long> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("checksum interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** The plain digest of {@code ranges}' held bytes in address order. */
  static byte[] digest(PhysicalMemory memory, List<RamRange> ranges, DigestAlgorithm algorithm, int threads,
      Progress progress) {
    return digest(memory, ranges, algorithm, threads, progress, null);
  }

  /** The engine for {@code total} bytes: the C library at any size, the lanes from {@link #LANES_FROM}. */
  static Blake3.Engine engineFor(long total) {
    Blake3.Engine best = Blake3.Engine.best();
    return best == Blake3.Engine.LANES && total < LANES_FROM ? Blake3.Engine.CHUNKS : best;
  }

  /** {@link #digest} with BLAKE3's subtrees by {@code engine}, or by {@link #engineFor} when null (tests take every path). */
  static byte[] digest(PhysicalMemory memory, List<RamRange> ranges, DigestAlgorithm algorithm, int threads,
      Progress progress, Blake3.Engine engine) {
    MemoryStream stream = new MemoryStream(memory);
    if (algorithm == DigestAlgorithm.SHA256) {
      try (Sha256Stream sha = Sha256Stream.open()) {
        stream.stream(ranges, (pa, bytes) -> {
          sha.update(bytes);
          progress.advance(bytes.byteSize());
        });
        return sha.finish();
      }
    }
    long total = 0;
    for (RamRange r : ranges) {
      total += r.size();
    }
    Blake3.Engine engineUsed = engine != null ? engine : engineFor(total);
    Blake3.Hasher h = new Blake3.Hasher(engineUsed);
    if (threads < 2 || !memory.concurrentReads() || memory.excludedBytes() > 0 || total <= SUBTREE) {
      stream.stream(ranges, (pa, bytes) -> {
        h.update(bytes, 0, bytes.byteSize());
        progress.advance(bytes.byteSize());
      });
      return h.finish();
    }
    // every subtree but the one holding the last byte (that one may be the root), in parallel batches
    long full = (total - 1) / SUBTREE;
    ThreadLocal<SubtreeReader> readers = ThreadLocal.withInitial(() -> new SubtreeReader(memory, ranges, engineUsed));
    for (long b = 0; b < full; b += BATCH) {
      List<Long> batch = new ArrayList<>();
      for (long k = b; k < Math.min(full, b + BATCH); k++) {
        batch.add(k);
      }
      List<int[]> cvs = Workers.map(batch, threads, "blake3", k -> {
        int[] cv = readers.get().subtree(k);
        progress.advance(SUBTREE);
        return cv;
      });
      for (int[] cv : cvs) {
        h.pushSubtree(cv, SUBTREE / Blake3.CHUNK);
      }
    }
    new SubtreeReader(memory, ranges, engineUsed).each(full * SUBTREE, total, (pa, bytes) -> {
      h.update(bytes, 0, bytes.byteSize());
      progress.advance(bytes.byteSize());
    });
    return h.finish();
  }

  /** Reads stream offsets of the concatenated ranges; one per worker. */
  private static final class SubtreeReader {
    private final MemoryStream stream;
    private final List<RamRange> ranges;
    private final byte[] gather = new byte[SUBTREE];
    private final Blake3.Engine engine;

    SubtreeReader(PhysicalMemory memory, List<RamRange> ranges, Blake3.Engine engine) {
      this.stream = new MemoryStream(memory);
      this.ranges = ranges;
      this.engine = engine;
    }

    private int[] hash(MemorySegment bytes, int chunks, long counter) {
      return Blake3.subtree(bytes, 0, chunks, counter, engine);
    }

    /** Streams the bytes at stream offsets {@code [from, to)}. */
    void each(long from, long to, MemoryStream.Sink sink) {
      long base = 0;
      for (RamRange r : ranges) {
        long lo = Math.max(from, base);
        long hi = Math.min(to, base + r.size());
        if (lo < hi) {
          stream.stream(r.start() + (lo - base), r.start() + (hi - base), sink);
        }
        base += r.size();
      }
    }

    /** The chaining value of subtree {@code k}: hashed where it lies, or gathered when it spans two ranges. */
    int[] subtree(long k) {
      long from = k * SUBTREE;
      int chunks = SUBTREE / Blake3.CHUNK;
      long counter = k * chunks;
      int[][] cv = {null};
      int[] filled = {0};
      each(from, from + SUBTREE, (pa, bytes) -> {
        // hashed inside the callback: MemoryStream releases a mapped piece once it returns
        if (filled[0] == 0 && bytes.byteSize() == SUBTREE) {
          cv[0] = hash(bytes, chunks, counter);
        } else {
          MemorySegment.copy(bytes, 0, MemorySegment.ofArray(gather), filled[0], bytes.byteSize());
        }
        filled[0] += (int) bytes.byteSize();
      });
      return cv[0] != null ? cv[0] : hash(MemorySegment.ofArray(gather), chunks, counter);
    }
  }

  /** Digests every held page (or page piece at a range edge) in address order; returns how many. */
  static long pageDigests(PhysicalMemory memory, List<RamRange> ranges, DigestAlgorithm algorithm, PageSink sink) {
    PageDigester digester = new PageDigester(algorithm);
    String[] zeroPage = new String[1];
    long[] count = {0};
    new MemoryStream(memory).stream(ranges, (pa, bytes) -> {
      boolean zeros = MemoryStream.isZeros(bytes);
      long end = pa + bytes.byteSize();
      for (long p = pa; Long.compareUnsigned(p, end) < 0; ) {
        long next = Math.min((p & -PAGE) + PAGE, end);
        int n = (int) (next - p);
        String d;
        if (zeros && n == PAGE) {
          if (zeroPage[0] == null) {
            zeroPage[0] = digester.digest(bytes.asSlice(0, PAGE));
          }
          d = zeroPage[0];
        } else {
          d = digester.digest(bytes.asSlice(p - pa, n));
        }
        sink.page(p, d);
        count[0]++;
        p = next;
      }
    });
    return count[0];
  }
}
