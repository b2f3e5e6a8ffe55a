package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.ExceptionVector;

/**
 * A small machine for CPU tests: 64 MiB of RAM, page tables written entry by entry, a GDT with
 * the Linux-style descriptors, code assembled with our assembler at {@link #CODE}.
 *
 * <pre>
 *   0x1000 PML4   0x2000 PDPT   0x3000 PD (identity, 2 MiB pages, covers [0, 1 GiB))
 *   0x5000 GDT: 0x08 64-bit code, 0x10 data, 0x18 32-bit code, 0x20 data with base 0x400000
 *   0x6000 PAE PDPT   0x7000 PAE PD (identity, 2 MiB pages)
 *   0x8000 32-bit PD (identity, 4 MiB pages with CR4.PSE)
 *   0x100000 code    stack top 0x90000
 * </pre>
 */
final class TestMachine {
  static final long PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, GDT = 0x5000;
  static final long PAE_PDPT = 0x6000, PAE_PD = 0x7000, PD32 = 0x8000;
  static final long CODE = 0x100000, STACK_TOP = 0x90000;
  static final long CS64 = 0x00af_9a00_0000_ffffL, DATA = 0x00cf_9200_0000_ffffL, CS32 = 0x00cf_9a00_0000_ffffL;
  static final long DATA_AT_4M = 0x00cf_9240_0000_ffffL; // base 0x400000
  /** P | RW | A | D | PS: a kernel large-page leaf. */
  static final long LARGE = 0xE3;
  static final long TABLE = 0x63;

  final SparseMemory memory = new SparseMemory(RamMap.ofSize(64L << 20));
  final Cpu cpu;
  final int bits;

  private TestMachine(ControlState control, int bits) {
    this.bits = bits;
    writeTables();
    cpu = new Cpu(memory, control, CpuFeatures.DEFAULT);
    cpu.setGdtr(GDT, 5 * 8 - 1);
    cpu.setIdtr(0, 0);
    if (bits == 64) {
      cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x08, CS64 | 1L << 40));
    } else {
      cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x18, CS32 | 1L << 40));
    }
    for (Segment s : List.of(Segment.DS, Segment.ES, Segment.SS, Segment.FS, Segment.GS)) {
      cpu.setSegment(s, SegmentCache.fromDescriptor(0x10, DATA | 1L << 40));
    }
    cpu.setRegister(4, STACK_TOP);
    cpu.setRip(CODE);
  }

  private void writeTables() {
    memory.writeU64(PML4, PDPT | TABLE);
    memory.writeU64(PDPT, PD | TABLE);
    for (int i = 0; i < 512; i++) {
      memory.writeU64(PD + 8L * i, ((long) i << 21) | LARGE);
      memory.writeU64(PAE_PD + 8L * i, ((long) i << 21) | LARGE);
    }
    memory.writeU64(PAE_PDPT, PAE_PD | 1); // a PAE PDPTE carries only P (SDM §4.4.1)
    for (int i = 0; i < 1024; i++) {
      memory.writeU32(PD32 + 4L * i, ((long) i << 22) | LARGE);
    }
    long[] gdt = {0, CS64, DATA, CS32, DATA_AT_4M};
    for (int i = 0; i < gdt.length; i++) {
      memory.writeU64(GDT + 8L * i, gdt[i]);
    }
  }

  /** IA-32e mode, 64-bit code, 4-level identity paging, NXE on, IDT limit 0. */
  static TestMachine longMode() {
    TestMachine m = new TestMachine(ControlState.PROTECTED_NO_PAGING, 64);
    m.cpu.setControl(establish(m, Cr0.PE | Cr0.PG | Cr0.NE | Cr0.ET, PML4, Cr4.PAE, Efer.LME | Efer.NXE));
    return m;
  }

  /** 32-bit protected mode, paging off. */
  static TestMachine protectedFlat() {
    return new TestMachine(ControlState.PROTECTED_NO_PAGING, 32);
  }

  /** 32-bit protected mode with PAE paging (identity, 2 MiB pages). */
  static TestMachine pae() {
    TestMachine m = new TestMachine(ControlState.PROTECTED_NO_PAGING, 32);
    m.cpu.setControl(establish(m, Cr0.PE | Cr0.PG | Cr0.NE | Cr0.ET, PAE_PDPT, Cr4.PAE, 0));
    return m;
  }

  private static ControlState establish(TestMachine m, long cr0, long cr3, long cr4, long efer) {
    ControlWrite w = ControlRegisterRules.establish(cr0, cr3, cr4, efer, m.memory, CpuFeatures.DEFAULT);
    return ((ControlWrite.Accepted) w).state();
  }

  /** Assembles {@code source} at {@link #CODE} and stores it there; returns the assembly for its symbols. */
  Assembly load(String source) {
    Assembly a = Assembler.assemble(source, bits, CODE);
    memory.write(CODE, a.bytes(), 0, a.size());
    return a;
  }

  RunResult run(String source) {
    load(source);
    return cpu.run(10_000);
  }

  long reg(int n) {
    return cpu.register(n);
  }

  /** The vectors raised, in order. */
  static List<ExceptionVector> vectors(RunResult r) {
    return r.exceptions().stream().map(ExceptionEvent::vector).toList();
  }

  static void assertHalted(RunResult r) {
    assertEquals(RunState.HALTED, r.state(), () -> "expected HLT; exceptions " + r.exceptions() + " stop " + r.stopReason());
  }
}
