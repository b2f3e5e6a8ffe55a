package org.kexecsim.analyzer.ptdump;

import static org.kexecsim.mmu.PageTableEntry.G;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.analyzer.Findings;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;

/**
 * Every mapped range reachable from the root, coalesced like arch/x86/mm/dump_pagetables.c: a
 * run of leaves with the same page size and effective rights (RW, US, NX, G), contiguous in
 * linear address, is one range. Cost is proportional to the entries in the tables, not to the
 * bytes they map.
 */
public final class PtDump {
  /** i386 PAGE_OFFSET with the default 3G/1G split: where the kernel half starts. */
  static final long PAGE_OFFSET_32 = 0xC000_0000L;

  private PtDump() {}

  /** Every mapped range reachable from {@code ctx}'s root, coalesced; AnalysisException when the tables are too large to enumerate. */
  public static PtDumpReport dump(PhysicalMemory memory, PagingContext ctx) {
    Coalescer c = new Coalescer(ctx.mode());
    PageTables.walk(memory, ctx.state(), c);
    c.flush();
    return new PtDumpReport(ctx, List.copyOf(c.ranges), c.tables, List.copyOf(c.unreadable), c.findings.listed(),
        c.findings.total());
  }

  private static final class Coalescer implements PageTables.Visitor {
    private final PagingMode mode;
    final List<MappedRange> ranges = new ArrayList<>();
    final List<Long> unreadable = new ArrayList<>();
    final Findings findings = new Findings();
    long tables;
    private boolean open;
    private long start;
    private long end;
    private long physical;
    private long nextPhysical;
    private boolean contiguous;
    private int shift;
    private long rights;
    private long leaves;

    Coalescer(PagingMode mode) {
      this.mode = mode;
    }

    @Override
    public void table(long physical, int bytes, int level, long linearBase) {
      tables++;
    }

    @Override
    public void unreadable(long physical, int level, long linearBase) {
      unreadable.add(physical);
    }

    @Override
    public void reserved(ReservedBitFinding f) {
      findings.add(f);
    }

    @Override
    public void leaf(long linear, long size, long pa, int level, long r, long entry) {
      long key = (r & (RW | US | XD)) | (entry & G);
      int s = Long.numberOfTrailingZeros(size);
      if (open && linear == end && s == shift && key == rights && half(linear) == half(start)) {
        end += size;
        leaves++;
        contiguous &= pa == nextPhysical;
        nextPhysical = pa + size;
        return;
      }
      flush();
      open = true;
      start = linear;
      end = linear + size;
      physical = pa;
      nextPhysical = pa + size;
      contiguous = true;
      shift = s;
      rights = key;
      leaves = 1;
    }

    private boolean half(long linear) {
      return mode.isLongMode() ? mode.canonical(linear) < 0 : Long.compareUnsigned(linear, PAGE_OFFSET_32) >= 0;
    }

    void flush() {
      if (!open) {
        return;
      }
      ranges.add(new MappedRange(mode.canonical(start), end - start, physical, contiguous,
          PageSize.ofShift(shift).label(), leaves, (rights & RW) != 0, (rights & US) != 0, (rights & XD) != 0,
          (rights & G) != 0, half(start)));
      open = false;
    }
  }
}
