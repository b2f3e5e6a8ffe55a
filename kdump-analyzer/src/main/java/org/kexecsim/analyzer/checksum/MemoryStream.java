package org.kexecsim.analyzer.checksum;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import org.kexecsim.analyzer.FrameIndex;
import org.kexecsim.dump.MappedFileMemory;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * The bytes of RAM ranges in address order, handed out as segments without copying where the
 * image allows: a file mapping's own bytes, a shared segment of zeros for what the image cannot
 * hold data in (holes of a sparse file, zero-filled ELF tails: no page of the mapping is touched),
 * and a reused buffer only for memory that must be decoded (kdump-compressed pages). Pages the
 * dump excluded are left out of the stream.
 */
final class MemoryStream {
  /** The largest piece handed out; also the unit of the zero check and of releasing mappings. */
  static final int PIECE = 4 << 20;
  private static final int PAGE = PhysicalMemory.PAGE_SIZE;
  static final MemorySegment ZEROS = MemorySegment.ofArray(new byte[PIECE]);

  /** Whether {@code bytes} is (a slice of) the shared zeros: no need to hash it page by page. */
  static boolean isZeros(MemorySegment bytes) {
    return bytes.heapBase().isPresent() && bytes.heapBase().get() == ZEROS.heapBase().orElseThrow();
  }

  /** Receives consecutive pieces of the stream. */
  interface Sink {
    void accept(long physical, MemorySegment bytes);
  }

  private final PhysicalMemory memory;
  private final FrameIndex frames;
  private final byte[] buffer = new byte[PIECE];

  MemoryStream(PhysicalMemory memory) {
    this.memory = memory;
    this.frames = FrameIndex.of(memory);
  }

  /** Streams {@code ranges} (ascending) to {@code sink}. */
  void stream(List<RamRange> ranges, Sink sink) {
    for (RamRange r : ranges) {
      stream(r.start(), r.end(), sink);
    }
  }

  /** Streams {@code [start, end)}, which lies in one RAM range, in pieces of {@link #PIECE} from {@code start}. */
  void stream(long start, long end, Sink sink) {
    for (long p = start; Long.compareUnsigned(p, end) < 0; ) {
      long next = Long.compareUnsigned(end - p, PIECE) > 0 ? p + PIECE : end;
      piece(p, next, sink);
      p = next;
    }
  }

  private void piece(long start, long end, Sink sink) {
    int len = (int) (end - start);
    if (!frames.mayHaveData(start, end)) {
      sink.accept(start, ZEROS.asSlice(0, len));
      return;
    }
    if (memory.excludedBytes() > 0 && anyExcluded(start, end)) {
      heldPages(start, end, sink);
      return;
    }
    Optional<MemorySegment> mapped = memory instanceof MappedFileMemory m ? m.fileBacked(start, len) : Optional.empty();
    if (mapped.isPresent()) {
      sink.accept(start, mapped.get());
      // read once: drop the pages from this process (they stay in the page cache), so resident
      // memory stays one piece per reader however large the image
      mapped.get().unload();
      return;
    }
    memory.read(start, buffer, 0, len);
    sink.accept(start, MemorySegment.ofArray(buffer).asSlice(0, len));
  }

  private boolean anyExcluded(long start, long end) {
    for (long p = start & -PAGE; Long.compareUnsigned(p, end) < 0; p += PAGE) {
      if (memory.isExcluded(p)) {
        return true;
      }
    }
    return false;
  }

  /** A piece with excluded pages: the held runs only, in order. */
  private void heldPages(long start, long end, Sink sink) {
    long runStart = -1;
    for (long p = start; Long.compareUnsigned(p, end) < 0; ) {
      long pageEnd = Math.min((p & -PAGE) + PAGE, end);
      if (memory.isExcluded(p)) {
        if (runStart >= 0) {
          emitRun(runStart, p, sink);
          runStart = -1;
        }
      } else if (runStart < 0) {
        runStart = p;
      }
      p = pageEnd;
    }
    if (runStart >= 0) {
      emitRun(runStart, end, sink);
    }
  }

  private void emitRun(long start, long end, Sink sink) {
    int len = (int) (end - start);
    memory.read(start, buffer, 0, len);
    sink.accept(start, MemorySegment.ofArray(buffer).asSlice(0, len));
  }
}
