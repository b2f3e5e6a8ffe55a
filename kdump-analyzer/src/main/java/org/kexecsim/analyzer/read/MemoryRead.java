package org.kexecsim.analyzer.read;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.WalkStep;

/**
 * Reads a range of an image, by physical address or through a root table (crash's {@code rd},
 * {@code rd -p}), one 4 KiB page at a time: each virtual page is translated on its own, so a
 * range that crosses pages follows the tables as the CPU would. A page that cannot be read (not
 * mapped, outside the dump's RAM, excluded by makedumpfile's dump level) is a {@link Hole},
 * never zeros; adjacent holes of one cause are one hole, and a not-present entry skips the whole
 * span it covers, so reading across an unmapped terabyte costs one walk per missing entry.
 */
public final class MemoryRead {
  /** A stretch of the range: bytes, or why there are none. */
  public sealed interface Piece permits Bytes, Hole {
    long address();

    long length();
  }

  /** {@code data} read at {@code address} (virtual or physical), physically at {@code physical}. */
  public record Bytes(long address, long physical, byte[] data) implements Piece {
    @Override
    public long length() {
      return data.length;
    }
  }

  /**
   * {@code length} bytes from {@code address} that the image cannot give.
   *
   * @param excluded RAM the dump left out (as opposed to unmapped or not RAM)
   */
  public record Hole(long address, long length, String why, boolean excluded) implements Piece {}

  private MemoryRead() {}

  /**
   * Reads {@code [start, start+length)}, physical when {@code paging} is empty, else virtual
   * through it, handing each piece to {@code sink} in address order. The caller checks that the
   * range does not wrap.
   */
  public static void read(PhysicalMemory memory, Optional<PagingContext> paging, long start, long length, Consumer<Piece> sink) {
    Coalescer out = new Coalescer(sink, paging.isPresent());
    PageWalker walker = paging.isPresent() ? new PageWalker(memory) : null;
    long at = start;
    long end = start + length;
    while (at != end) {
      long pageEnd = (at | (PhysicalMemory.PAGE_SIZE - 1)) + 1;
      long chunkEnd = Long.compareUnsigned(pageEnd - 1, end - 1) < 0 ? pageEnd : end;
      int n = (int) (chunkEnd - at);
      long pa;
      if (paging.isPresent()) {
        VtopResult t = Vtop.one(walker, memory, paging.get(), at);
        if (!t.isMapped()) {
          long skip = unmappedSpan(paging.get().mode(), at, t.steps());
          long holeEnd = Long.compareUnsigned(skip - 1, end - 1) < 0 && skip != 0 ? skip : end;
          // the fault without its cr2, so that the pages of one unmapped span make one hole
          out.unreadable(at, holeEnd - at, "not mapped: " + t.fault().orElse("?").replaceFirst(" cr2=0x[0-9a-f]+", ""));
          at = holeEnd;
          continue;
        }
        pa = t.physical().getAsLong();
      } else {
        pa = at;
        if (!memory.ramMap().contains(at)) {
          // a physical read jumps a gap between RAM ranges in one step: a read across the
          // terabytes below a high range is one hole, not a loop over its pages
          long next = nextRam(memory.ramMap(), at);
          long holeEnd = next != 0 && Long.compareUnsigned(next - 1, end - 1) < 0 ? next : end;
          out.hole(at, at, holeEnd - at, Cause.NOT_RAM);
          at = holeEnd;
          continue;
        }
      }
      out.accept(at, pa, n, memory);
      at = chunkEnd;
    }
    out.flush();
  }

  /** The first RAM address above {@code physical}, which is not RAM; 0 when none is. */
  private static long nextRam(RamMap ram, long physical) {
    for (RamRange r : ram.ranges()) {
      if (Long.compareUnsigned(r.start(), physical) > 0) {
        return r.start();
      }
    }
    return 0;
  }

  /**
   * Where the span a failed walk proves unmapped ends: the coverage of the last entry read when
   * it is not present, else just this page. 0 means the top of the address space.
   */
  static long unmappedSpan(PagingMode mode, long va, List<WalkStep> steps) {
    long page = (va | (PhysicalMemory.PAGE_SIZE - 1)) + 1;
    if (steps.isEmpty()) {
      // no entry read: a non-canonical address (#GP), and so is all of the gap up to the
      // upper half, which starts at -2^47 (4-level) or -2^56 (5-level) (SDM Vol. 3A §4.5)
      return mode.isLongMode() && mode.canonical(va) != va ? mode.canonical(mode == PagingMode.LEVEL5 ? 1L << 56 : 1L << 47) : page;
    }
    WalkStep last = steps.getLast();
    if ((last.value() & PageTableEntry.P) != 0) {
      return page;
    }
    long span = 1L << mode.shift(last.level());
    long next = (va | (span - 1)) + 1;
    return Long.compareUnsigned(next, page) > 0 || next == 0 ? next : page;
  }

  /** Why bytes are missing, for the holes that name a physical range rather than a message. */
  private enum Cause {
    NOT_RAM("not in the dump's RAM", false),
    EXCLUDED("excluded from the dump (makedumpfile dump level)", true);

    final String text;
    final boolean excluded;

    Cause(String text, boolean excluded) {
      this.text = text;
      this.excluded = excluded;
    }
  }

  /**
   * Merges adjacent holes of one cause into one: pages outside RAM or excluded merge while their
   * physical addresses run on (the reason names the physical range only when it differs from the
   * address read, i.e. for a virtual read), other holes while their message is the same.
   */
  private static final class Coalescer {
    private final Consumer<Piece> sink;
    private final boolean virtual;
    private long address;
    private long length;
    private long physical;
    private Cause cause;
    private String why; // non-null: a pending hole with a message of its own

    Coalescer(Consumer<Piece> sink, boolean virtual) {
      this.sink = sink;
      this.virtual = virtual;
    }

    void accept(long address, long pa, int n, PhysicalMemory memory) {
      if (!memory.ramMap().containsRange(pa, n)) {
        hole(address, pa, n, Cause.NOT_RAM);
        return;
      }
      if (memory.isExcluded(pa)) {
        hole(address, pa, n, Cause.EXCLUDED);
        return;
      }
      byte[] data = new byte[n];
      try {
        memory.read(pa, data, 0, n);
      } catch (PageExcludedException e) {
        hole(address, pa, n, Cause.EXCLUDED);
        return;
      } catch (PhysicalAccessException e) {
        unreadable(address, n, e.getMessage());
        return;
      }
      flush();
      sink.accept(new Bytes(address, pa, data));
    }

    void hole(long address, long pa, long n, Cause c) {
      if (cause == c && this.address + length == address && physical + length == pa) {
        length += n;
        return;
      }
      flush();
      this.address = address;
      this.physical = pa;
      this.length = n;
      this.cause = c;
    }

    void unreadable(long address, long n, String message) {
      if (message.equals(why) && this.address + length == address) {
        length += n;
        return;
      }
      flush();
      this.address = address;
      this.length = n;
      this.why = message;
    }

    void flush() {
      if (cause != null) {
        String text = virtual ? String.format("physical 0x%x-0x%x is %s", physical, physical + length, cause.text) : cause.text;
        sink.accept(new Hole(address, length, text, cause.excluded));
      } else if (why != null) {
        sink.accept(new Hole(address, length, why, false));
      }
      cause = null;
      why = null;
    }
  }
}
