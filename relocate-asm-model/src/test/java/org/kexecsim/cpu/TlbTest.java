package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.cpu.TestMachine.assertHalted;
import static org.kexecsim.cpu.TestMachine.vectors;
import static org.kexecsim.mmu.ExceptionVector.DF;
import static org.kexecsim.mmu.ExceptionVector.GP;
import static org.kexecsim.mmu.ExceptionVector.PF;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PageTableEntry;

/**
 * The TLB's invalidation rules (SDM Vol. 3A §4.10.4.1) and the PAE PDPTE registers (§4.4.1), each
 * shown by code that runs on after a MOV to CR3 to tables that no longer map it only if the rule
 * holds, and by QEMU TCG's different behaviour (target/i386/helper.c cpu_x86_update_cr3).
 */
class TlbTest {
  private static final long NEW_PML4 = 0xA000, NEW_PDPT = 0xB000, NEW_PD = 0xC000;
  /** Code at 4 MiB: the new tables map only [0, 2 MiB). */
  private static final long CODE = 0x400000;
  private static final int RAX = 0, RBX = 3;

  /** Long mode, the code's 2 MiB page {@code global} or not, CR4 as given; new tables at 0xA000 that do not map it. */
  private static Cpu longMode(long cr4, boolean global, CpuModel model, String source) {
    TestMachine m = TestMachine.longMode();
    long pde = TestMachine.PD + 8L * (CODE >>> 21);
    if (global) {
      m.memory.writeU64(pde, m.memory.readU64(pde) | PageTableEntry.G);
    }
    m.memory.writeU64(NEW_PML4, NEW_PDPT | TestMachine.TABLE);
    m.memory.writeU64(NEW_PDPT, NEW_PD | TestMachine.TABLE);
    m.memory.writeU64(NEW_PD, TestMachine.LARGE);
    ControlWrite w = ControlRegisterRules.establish(Cr0.PE | Cr0.PG | Cr0.NE | Cr0.ET, TestMachine.PML4,
        Cr4.PAE | cr4, Efer.LME | Efer.NXE, m.memory, CpuFeatures.DEFAULT);
    Cpu cpu = new Cpu(m.memory, ((ControlWrite.Accepted) w).state(), CpuFeatures.DEFAULT, model);
    cpu.setGdtr(TestMachine.GDT, 5 * 8 - 1);
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x08, TestMachine.CS64 | 1L << 40));
    for (Segment s : List.of(Segment.DS, Segment.ES, Segment.SS, Segment.FS, Segment.GS)) {
      cpu.setSegment(s, SegmentCache.fromDescriptor(0x10, TestMachine.DATA | 1L << 40));
    }
    cpu.setRegister(4, TestMachine.STACK_TOP);
    byte[] code = Assembler.assemble(source, 64, CODE).bytes();
    m.memory.write(CODE, code, 0, code.length);
    cpu.setRip(CODE);
    cpu.setRegister(RAX, NEW_PML4);
    cpu.setRegister(RBX, CODE);
    return cpu;
  }

  private static final String SWITCH = "mov %rax,%cr3\nnop\nhlt\n";

  @Test
  void aGlobalEntrySurvivesMovToCr3AndTheRunReportsItStale() {
    Cpu cpu = longMode(Cr4.PGE, true, CpuModel.HARDWARE, SWITCH);
    RunResult r = cpu.run(10);
    assertHalted(r);
    assertEquals(NEW_PML4, cpu.control().cr3());
    StaleTranslation t = cpu.staleTranslations().getFirst();
    assertEquals(CODE + 3, t.linear(), "the fetch right after the MOV used the stale entry");
    assertEquals(NEW_PML4, t.root());
    assertEquals(TestMachine.PML4, t.cachedUnder());
    assertTrue(t.fresh().startsWith("would fault"), t.fresh());
  }

  @Test
  void withoutCr4PgeTheGBitMakesNothingGlobal() {
    RunResult r = longMode(0, true, CpuModel.HARDWARE, SWITCH).run(10);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(List.of(PF, GP, DF, GP), vectors(r));
  }

  @Test
  void aNonGlobalEntryIsFlushedByMovToCr3() {
    RunResult r = longMode(Cr4.PGE, false, CpuModel.HARDWARE, SWITCH).run(10);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(CODE + 3, r.exceptions().getFirst().cr2());
  }

  @Test
  void qemuFlushesGlobalEntriesOnMovToCr3() {
    RunResult r = longMode(Cr4.PGE, true, CpuModel.QEMU, SWITCH).run(10);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(CODE + 3, r.exceptions().getFirst().cr2());
  }

  /** What Linux 6.14 does after its CR3 switch (d144d8a65286): clearing CR4.PGE drops the global entries. */
  @Test
  void clearingCr4PgeFlushesGlobalEntries() {
    Cpu cpu = longMode(Cr4.PGE, true, CpuModel.HARDWARE, """
        mov %rax,%cr3
        mov %cr4,%rcx
        and $~0x80,%rcx
        mov %rcx,%cr4
        hlt
        """);
    RunResult r = cpu.run(10);
    assertEquals(RunState.TRIPLE_FAULT, r.state(), () -> r.exceptions().toString());
    long afterCr4 = CODE + Assembler.assemble("mov %rax,%cr3\nmov %cr4,%rcx\nand $~0x80,%rcx\nmov %rcx,%cr4\n", 64, CODE).size();
    assertEquals(afterCr4, r.exceptions().getFirst().cr2(), "the fetch after the MOV to CR4 walks the new tables");
  }

  @Test
  void invlpgDropsTheGlobalEntryForItsPage() {
    Cpu cpu = longMode(Cr4.PGE, true, CpuModel.HARDWARE, "mov %rax,%cr3\ninvlpg (%rbx)\nhlt\n");
    RunResult r = cpu.run(10);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(CODE + 3 + 3, r.exceptions().getFirst().cr2(), "the fetch after INVLPG (0F 01 3B) walks");
  }

  /** SDM §4.10.4.1: with CR4.PCIDE=1, bit 63 of the MOV to CR3 source keeps the PCID's entries. */
  @Test
  void pcidMovToCr3WithBit63KeepsNonGlobalEntries() {
    Cpu keep = longMode(Cr4.PGE | Cr4.PCIDE, false, CpuModel.HARDWARE, SWITCH);
    keep.setRegister(RAX, NEW_PML4 | 1L << 63);
    assertHalted(keep.run(10));
    assertEquals(NEW_PML4, keep.control().cr3(), "bit 63 is not stored");
    assertFalse(keep.staleTranslations().isEmpty());

    Cpu flush = longMode(Cr4.PGE | Cr4.PCIDE, false, CpuModel.HARDWARE, SWITCH);
    assertEquals(RunState.TRIPLE_FAULT, flush.run(10).state());
  }

  /** An entry cached under PCID 0 is not used under PCID 1 (§4.10.2.4). */
  @Test
  void entriesOfAnotherPcidAreNotUsed() {
    Cpu cpu = longMode(Cr4.PGE | Cr4.PCIDE, false, CpuModel.HARDWARE, SWITCH);
    cpu.setRegister(RAX, NEW_PML4 | 1 | 1L << 63);
    assertEquals(RunState.TRIPLE_FAULT, cpu.run(10).state());
  }

  // ---- PAE PDPTE registers (SDM §4.4.1) ----------------------------------------------------------

  /** PAE paging at 0x6000 with a second PDPT at 0xD000 pointing at the same PD, whose entry 0 sets {@code bits}. */
  private static Cpu pae(CpuModel model, long bits, String source) {
    TestMachine m = TestMachine.pae();
    m.memory.writeU64(0xD000, TestMachine.PAE_PD | 1 | bits);
    Cpu cpu = new Cpu(m.memory, m.cpu.control(), CpuFeatures.DEFAULT, model);
    cpu.setGdtr(TestMachine.GDT, 5 * 8 - 1);
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(0x18, TestMachine.CS32 | 1L << 40));
    for (Segment s : List.of(Segment.DS, Segment.ES, Segment.SS, Segment.FS, Segment.GS)) {
      cpu.setSegment(s, SegmentCache.fromDescriptor(0x10, TestMachine.DATA | 1L << 40));
    }
    cpu.setRegister(4, TestMachine.STACK_TOP);
    byte[] code = Assembler.assemble(source, 32, TestMachine.CODE).bytes();
    m.memory.write(TestMachine.CODE, code, 0, code.length);
    cpu.setRip(TestMachine.CODE);
    return cpu;
  }

  @Test
  void hardwareRefusesAPdpteWithKernpgTableFlagsAtTheCr3Load() {
    Cpu cpu = pae(CpuModel.HARDWARE, PageTableEntry.KERNPG_TABLE, "mov $0xd000,%eax\nmov %eax,%cr3\nhlt\n");
    RunResult r = cpu.run(10);
    assertEquals(GP, r.exceptions().getFirst().vector());
    assertEquals(TestMachine.CODE + 5, r.exceptions().getFirst().rip(), "the MOV to CR3 faults");
    assertEquals(TestMachine.PAE_PDPT, cpu.control().cr3(), "CR3 unchanged");
  }

  @Test
  void qemuAcceptsAPdpteWithKernpgTableFlagsAndSetsAccessed() {
    Cpu cpu = pae(CpuModel.QEMU, PageTableEntry.RW | PageTableEntry.D, "mov $0xd000,%eax\nmov %eax,%cr3\nmovl (0x1000),%ebx\nhlt\n");
    assertHalted(cpu.run(10));
    assertEquals(0xD000, cpu.control().cr3());
    assertTrue((cpu.memory().readU64(0xD000) & PageTableEntry.A) != 0, "QEMU sets A in the PDPTE it walked");
  }

  /** Hardware walks the PDPTE register loaded at the MOV to CR3; QEMU re-reads memory on each walk. */
  @Test
  void clearingAPdpteInMemoryMattersOnlyAfterTheNextLoadOnHardware() {
    String clearThenTouch = """
        movl $0, (0x6000)
        movl $0, (0x6004)
        movl (0x300000),%ebx
        hlt
        """;
    Cpu hw = pae(CpuModel.HARDWARE, 0, clearThenTouch);
    assertHalted(hw.run(10)); // the data page at 3 MiB is a TLB miss, walked through the register
    Cpu qemu = pae(CpuModel.QEMU, 0, clearThenTouch);
    RunResult r = qemu.run(10);
    assertEquals(PF, r.exceptions().getFirst().vector(), () -> r.exceptions().toString());
    assertEquals(0x300000, r.exceptions().getFirst().cr2());
  }
}
