package org.kexecsim.benchmarks;

import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.SegmentCache;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU interpreter copying 16 MiB through 4-level paging (4 KiB pages, so every page is a
 * separate walk): once with REP MOVSQ, which the executor turns into bulk page copies, and once
 * with an explicit load/store loop, and once with a kexec relocation loop over an indirection
 * list (the kernel's instruction forms, REP MOVSQ per page). The auxiliary counters give bytes
 * copied and instructions executed per second. Target: REP MOVSQ at >= 2 GB/s.
 *
 * <pre>./bench InterpreterBenchmark</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class InterpreterBenchmark extends RateBenchmark {
  static final long SRC = 0x100_0000;
  static final long DST = 0x200_0000;
  static final long BYTES = 16L << 20;
  static final String SETUP = "mov $0x1000000,%esi\nmov $0x2000000,%edi\nmov $(0x1000000 >> 3),%ecx\n";

  Cpu repMovs;
  Cpu loop;
  Cpu relocate;

  /** Where the indirection list of the relocate loop lives (below the page tables at 48 MiB). */
  static final long LIST = 0x80_0000;

  /**
   * A kexec-style relocation loop in the forms the kernel's relocate_kernel uses (byte tests of
   * the entry's low bits, masks, REP MOVSQ of each page): it walks an indirection list of one
   * destination entry, 4096 source entries and a done entry (kexec's IND_DESTINATION 0x1,
   * IND_INDIRECTION 0x2, IND_DONE 0x4, IND_SOURCE 0x8, include/linux/kexec.h), copying 16 MiB.
   */
  static final String RELOCATE_LOOP = """
      mov $(0x800000 | 0x2),%rcx
      jmp 2f
      1: mov (%rbx),%rcx
      add $8,%rbx
      2: testb $0x1,%cl
      jz 3f
      mov %rcx,%rdi
      and $~0xfff,%rdi
      jmp 1b
      3: testb $0x2,%cl
      jz 4f
      mov %rcx,%rbx
      and $~0xfff,%rbx
      jmp 1b
      4: testb $0x4,%cl
      jnz 5f
      testb $0x8,%cl
      jz 1b
      mov %rcx,%rsi
      and $~0xfff,%rsi
      mov $512,%ecx
      rep ; movsq
      jmp 1b
      5: hlt
      """;

  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Work {
    public long bytes;
    public long instructions;

    @Setup(Level.Iteration)
    public void reset() {
      bytes = 0;
      instructions = 0;
    }
  }

  @Setup
  public void build() {
    repMovs = machine(SETUP + "rep movsq\nhlt\n");
    loop = machine(SETUP + "1: mov (%rsi),%rax\nmov %rax,(%rdi)\nadd $8,%rsi\nadd $8,%rdi\ndec %ecx\njnz 1b\nhlt\n");
    relocate = machine(RELOCATE_LOOP);
    long at = LIST;
    relocate.memory().writeU64(at, DST | 0x1);
    for (long pa = SRC; pa < SRC + BYTES; pa += 4096) {
      at += 8;
      relocate.memory().writeU64(at, pa | 0x8);
    }
    relocate.memory().writeU64(at + 8, 0x4);
  }

  /** 64-bit mode, identity map of the first 64 MiB with 4 KiB pages, code at 0x10000. */
  static Cpu machine(String code) {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64L << 20));
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.LEVEL4, new BumpFrameAllocator(48L << 20, 64L << 20));
    b.map(0, 0, 48L << 20, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_4K);
    m.writeU64(SRC + BYTES - 8, 1); // the source exists in every page
    for (long pa = SRC; pa < SRC + BYTES; pa += 4096) {
      m.writeU64(pa, pa);
    }
    byte[] bytes = Assembler.assemble(code, 64, 0x10000).bytes();
    m.write(0x10000, bytes, 0, bytes.length);
    LinuxControl c = LinuxControl.of(PagingMode.LEVEL4);
    ControlWrite w = ControlRegisterRules.establish(c.cr0(), b.root(), c.cr4(), c.efer(), m, CpuFeatures.DEFAULT);
    Cpu cpu = new Cpu(m, ((ControlWrite.Accepted) w).state(), CpuFeatures.DEFAULT);
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x10, 0x00af9b000000ffffL));
    cpu.setRip(0x10000);
    return cpu;
  }

  private static void rerun(Cpu cpu, Work work) {
    cpu.setRip(0x10000);
    cpu.resume();
    long before = cpu.steps();
    cpu.run(Long.MAX_VALUE);
    work.bytes += BYTES;
    work.instructions += cpu.steps() - before;
  }

  @Benchmark
  public long repMovsq(Work work) {
    rerun(repMovs, work);
    return repMovs.steps();
  }

  @Benchmark
  public long relocateLoop(Work work) {
    rerun(relocate, work);
    return relocate.steps();
  }

  @Benchmark
  public long explicitLoop(Work work) {
    rerun(loop, work);
    return loop.steps();
  }
}
