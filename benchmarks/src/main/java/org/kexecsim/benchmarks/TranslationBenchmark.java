package org.kexecsim.benchmarks;

import java.util.SplittableRandom;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Translation of random virtual addresses through a 4-level table that maps 64 GiB with 4 KiB
 * pages (16 Mi PTEs in 32 Ki page tables), one thread. Target: >= 20 million translations/s.
 *
 * <p>The PTEs alone are 128 MiB, so a random walk misses every cache at the PTE level (and the
 * host TLB: transparent huge pages for the heap help by about a quarter); the 1 GiB case, whose
 * tables stay in cache, shows what the walker costs when memory does not dominate.
 *
 * <p>{@code translate} is the hot path the CPU uses (primitive result, no allocation);
 * {@code translateWithSteps} is the record-returning API the analyzer prints from, for contrast.
 *
 * <p>{@code scripts/bench-vs-peers.sh} runs the 64 GiB case next to a C walker over the same
 * tables (benchmarks/peers/walk.c).
 *
 * <pre>./bench TranslationBenchmark</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xms6g", "-XX:+UseParallelGC", "-XX:+UseTransparentHugePages", "-XX:+AlwaysPreTouch"})
public class TranslationBenchmark extends RateBenchmark {
  static final long GIB = 1L << 30;
  static final long VIRTUAL_BASE = 0xFFFF_C900_0000_0000L; // vmalloc-like, so every level is used
  static final int BATCH = 1 << 16;

  /** GiB mapped with 4 KiB pages; 64 is the case, 1 keeps every table in cache for contrast. */
  @Param({"64", "1"})
  public long mappedGiB;

  SparseMemory memory;
  PagingState state;
  PageWalker walker;
  long[] addresses;

  @Setup
  public void build() {
    long mapped = mappedGiB * GIB;
    memory = new SparseMemory(RamMap.ofSize(mapped + GIB));
    PageTableBuilder b =
        PageTableBuilder.create(memory, PagingMode.LEVEL4, new BumpFrameAllocator(mapped, mapped + GIB));
    b.map(VIRTUAL_BASE, 0, mapped, PageTableEntry.PAGE_KERNEL, PageSize.SIZE_4K);
    state = LinuxControl.of(PagingMode.LEVEL4).load(b.root(), memory, CpuFeatures.DEFAULT)
        .orThrow(r -> new IllegalStateException("CR3 load refused: " + r));
    walker = new PageWalker(memory);
    SplittableRandom r = new SplittableRandom(42);
    addresses = new long[BATCH];
    results = new long[BATCH];
    for (int i = 0; i < BATCH; i++) {
      addresses[i] = VIRTUAL_BASE + r.nextLong(mappedGiB * GIB);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long translate() {
    long sum = 0;
    for (long va : addresses) {
      sum += walker.walk(state, va, Access.READ, false);
    }
    return sum;
  }

  long[] results;

  /** The same addresses through {@link PageWalker#walkAll}, which overlaps independent walks. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public long[] translateAll() {
    walker.walkAll(state, addresses, results, BATCH, Access.READ);
    return results;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH / 16)
  public long translateWithSteps() {
    long sum = 0;
    for (int i = 0; i < BATCH / 16; i++) {
      sum += walker.translate(state, addresses[i], Access.READ, false).steps().size();
    }
    return sum;
  }
}
