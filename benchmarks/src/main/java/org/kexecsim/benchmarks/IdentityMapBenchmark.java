package org.kexecsim.benchmarks;

import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.IdentityMapWriter;
import org.kexecsim.pagetable.PageTableBuilder;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Identity-map construction with the page-table builder into sparse memory: 64 GiB with 4 KiB
 * pages, 4 TiB with 2 MiB pages, 64 TiB with 1 GiB pages. The score is entries written per
 * second (an auxiliary counter, so JMH reports it as a rate). The tables built: 64G/4K is 32,834
 * pages (128 MiB), 4T/2M 4,105 pages (16 MiB), 64T/1G 129 pages (516 KiB). Target for the 4 KiB
 * case: >= 100 million entries/s. {@code scripts/bench-vs-peers.sh} runs the reused cases next to
 * the C peer benchmarks/peers/ident_map.c.
 *
 * <pre>./bench IdentityMapBenchmark</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-XX:+UseParallelGC"})
public class IdentityMapBenchmark extends RateBenchmark {

  @Param({"64G/4K", "4T/2M", "64T/1G"})
  public String layout;

  /** builder: the general PageTableBuilder.map; writer: IdentityMapWriter, for fresh identity maps. */
  @Param({"builder", "writer"})
  public String how;

  /**
   * reused: one memory for the whole trial, as the C peer (benchmarks/peers/ident_map.c) reuses
   * its pool; every build writes each table page it takes from end to end (zeroing what it does
   * not fill), as the peer does, so a build reads nothing the last one left. fresh: a new
   * SparseMemory per build (its frames first touched by that build).
   */
  @Param({"reused", "fresh"})
  public String memory;

  long bytes;
  PageSize pageSize;
  SparseMemory shared;
  long lastEntries;

  /** Per-iteration totals that JMH turns into rates. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    public long entries;

    @Setup(Level.Iteration)
    public void reset() {
      entries = 0;
    }
  }

  @Setup
  public void parse() {
    String[] p = layout.split("/");
    bytes = org.kexecsim.memory.ByteSize.parse(p[0]);
    pageSize = switch (p[1]) {
      case "4K" -> PageSize.SIZE_4K;
      case "2M" -> PageSize.SIZE_2M;
      default -> PageSize.SIZE_1G;
    };
    shared = new SparseMemory(RamMap.ofSize(bytes + (1L << 30)));
  }

  @Benchmark
  public long build(Counters counters) {
    // Tables go above the mapped range so they never alias what they map.
    SparseMemory memory = this.memory.equals("reused") ? shared : new SparseMemory(RamMap.ofSize(bytes + (1L << 30)));
    BumpFrameAllocator frames = new BumpFrameAllocator(bytes, bytes + (1L << 30));
    long flags = PageTableEntry.PAGE_KERNEL_LARGE_EXEC & ~PageTableEntry.PS;
    if (how.equals("writer")) {
      IdentityMapWriter w = new IdentityMapWriter(memory, PagingMode.LEVEL4);
      long root = w.build(frames, 0, bytes, flags, PageTableEntry.KERNPG_TABLE, pageSize);
      lastEntries = w.entriesWritten();
      counters.entries += lastEntries;
      return root;
    }
    PageTableBuilder b = PageTableBuilder.create(memory, PagingMode.LEVEL4, frames);
    b.map(0, 0, bytes, flags, pageSize);
    lastEntries = b.entriesWritten();
    counters.entries += lastEntries;
    return b.root();
  }

  /**
   * Entries per build, for a run in sample mode ({@code -bm sample}), which has no counters:
   * scripts/bench-vs-peers.sh divides it by the median build time, as the C peer reports the
   * median of its builds' rates.
   */
  @TearDown
  public void report() {
    System.out.printf("entries per build: %s %s %d%n", how, layout, lastEntries);
  }
}
