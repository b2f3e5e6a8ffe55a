package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kexecsim.cpu.TestMachine.assertHalted;
import static org.kexecsim.cpu.TestMachine.vectors;
import static org.kexecsim.mmu.ExceptionVector.DF;
import static org.kexecsim.mmu.ExceptionVector.GP;
import static org.kexecsim.mmu.ExceptionVector.PF;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Efer;

/** MOV to control registers as the relocate routines use them, fetched through the MMU (SDM §4.10, §9.8.5). */
class PagingTransitionTest {
  static final int RAX = 0;

  @Test
  void movCr3ToTablesThatDoNotMapTheNextInstructionTripleFaults() {
    // new PML4 at 0xA000 maps only [0, 2 MiB); the code at 1 MiB... is mapped, so place code at 4 MiB
    TestMachine m = TestMachine.longMode();
    long newPml4 = 0xA000, newPdpt = 0xB000, newPd = 0xC000;
    m.memory.writeU64(newPml4, newPdpt | TestMachine.TABLE);
    m.memory.writeU64(newPdpt, newPd | TestMachine.TABLE);
    m.memory.writeU64(newPd, TestMachine.LARGE); // only the first 2 MiB
    long code = 0x400000;
    byte[] bytes = org.kexecsim.isa.Assembler.assemble("mov %rax,%cr3\nhlt\n", 64, code).bytes();
    m.memory.write(code, bytes, 0, bytes.length);
    m.cpu.setRip(code);
    m.cpu.setRegister(RAX, newPml4);
    RunResult r = m.cpu.run(10);
    assertEquals(newPml4, m.cpu.control().cr3(), "the MOV itself completed");
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(List.of(PF, GP, DF, GP), vectors(r));
    assertEquals(code + 3, r.exceptions().get(0).cr2(), "CR2 = RIP + length of the MOV");
    assertEquals(0x10, r.exceptions().get(0).errorCode(), "I/D set: PAE paging with NXE (SDM §4.7)");
    assertEquals(code + 3, m.cpu.rip());
  }

  @Test
  void movCr3ToTablesThatMapTheCodeKeepsRunning() {
    TestMachine m = TestMachine.longMode();
    m.memory.writeU64(0xA000, TestMachine.PDPT | TestMachine.TABLE); // same lower levels, new root
    assertHalted(m.run("""
        mov $0xa000,%eax
        mov %rax,%cr3
        mov %cr3,%rbx
        hlt
        """));
    assertEquals(0xA000, m.reg(3));
  }

  @Test
  void fetchFromAnExecuteDisabledPageFaultsWithInstructionFetchBit() {
    TestMachine m = TestMachine.longMode();
    long pde = TestMachine.PD + 8L * (TestMachine.CODE >>> 21);
    m.memory.writeU64(pde, m.memory.readU64(pde) | (1L << 63));
    RunResult r = m.run("nop\n");
    assertEquals(PF, r.exceptions().get(0).vector());
    assertEquals(0x11, r.exceptions().get(0).errorCode(), "P=1 (protection) and I/D=1");
  }

  @Test
  void clearingPagingIn64BitModeIsGpButLegalInCompatibilityMode() {
    TestMachine m = TestMachine.longMode();
    RunResult r = m.run("""
        mov %cr0,%rax
        and $0x7fffffff,%eax
        mov %rax,%cr0
        hlt
        """);
    assertEquals(GP, r.exceptions().get(0).vector(), "SDM §9.8.5.4: leave 64-bit mode first");
    assertTrue((m.cpu.control().cr0() & Cr0.PG) != 0);

    TestMachine c = TestMachine.longMode();
    c.cpu.setSegment(org.kexecsim.isa.Segment.CS, SegmentCache.fromDescriptor(0x18, TestMachine.CS32));
    assertHalted(c.run("""
        .code32
        mov %cr0,%eax
        and $0x7fffffff,%eax
        mov %eax,%cr0
        mov $0xc0000080,%ecx
        rdmsr
        and $~0x100,%eax
        wrmsr
        hlt
        """));
    assertEquals(0, c.cpu.control().efer() & (Efer.LMA | Efer.LME), "LMA cleared with PG, then LME");
    assertEquals("protected (paging off)", c.cpu.modeName());
  }

  /** Runs a MOV to CR3 of a PDPT at 0xD000 whose first PDPTE is {@code pdpte}. */
  private static RunResult loadPdpt(TestMachine m, long pdpte) {
    m.memory.writeU64(0xD000, pdpte);
    return m.run("""
        mov $0xd000,%eax
        mov %eax,%cr3
        hlt
        """);
  }

  @Test
  void paeCr3LoadWithKernelAttributesInAPdpteIsGp() {
    // the 2006 i386-PAE bug: 0x63 (RW, A, D) in a PDPTE is reserved, so the MOV to CR3 faults
    RunResult r = cr3LoadRefused(TestMachine.PAE_PD | 0x63);
    assertEquals(RunState.TRIPLE_FAULT, r.state());

    assertHalted(loadPdpt(TestMachine.pae(), TestMachine.PAE_PD | 0x01));
  }

  @Test
  void paeCr3LoadOfAPdpteWithOnlyTheAccessedBitQemuSetsIsStillGp() {
    // QEMU TCG sets A (bit 5) in PAE PDPTEs and the analyzer reads such dumps; the CPU model must
    // not: bit 5 is reserved in a PDPTE, so the MOV to CR3 faults (SDM §4.4.1, Table 4-8).
    cr3LoadRefused(TestMachine.PAE_PD | 0x21);
  }

  /** A PAE MOV to CR3 whose PDPT holds {@code pdpte0}: it must be #GP, with CR3 left as it was. */
  private static RunResult cr3LoadRefused(long pdpte0) {
    TestMachine m = TestMachine.pae();
    RunResult r = loadPdpt(m, pdpte0);
    assertEquals(GP, r.exceptions().get(0).vector());
    assertEquals(TestMachine.PAE_PDPT, m.cpu.control().cr3(), "CR3 unchanged");
    return r;
  }

  @Test
  void aStraddlingWriteTranslatesBothPagesBeforeStoringAnything() {
    TestMachine m = TestMachine.longMode();
    // unmap the 2 MiB page above 4 MiB so the qword at 4 MiB + 2 MiB - 4 straddles into a hole
    m.memory.writeU64(TestMachine.PD + 8L * 3, 0);
    long at = (3L << 21) - 4;
    RunResult r = m.run(String.format("""
        mov $0x%x,%%eax
        movq $-1,(%%rax)
        hlt
        """, at));
    assertEquals(PF, r.exceptions().get(0).vector());
    assertEquals(3L << 21, m.cpu.cr2(), "CR2 is the first byte of the unmapped page");
    assertEquals(0, m.memory.readU32(at), "nothing was written to the mapped half");
  }

  @Test
  void enablingThirtyTwoBitPagingWithPseFromFlatProtectedMode() {
    TestMachine m = TestMachine.protectedFlat();
    assertHalted(m.run("""
        mov $0x8000,%eax
        mov %eax,%cr3
        mov %cr4,%eax
        or $0x10,%eax          # PSE: 4 MiB pages
        mov %eax,%cr4
        mov %cr0,%eax
        or $0x80000000,%eax
        mov %eax,%cr0          # the next fetch is paged: the identity map covers it
        mov 0x400000,%ebx
        hlt
        """));
    assertEquals("protected (32-bit paging)", m.cpu.modeName());
    assertEquals(0xE3 | 0x20, m.memory.readU32(TestMachine.PD32 + 4) & 0xFF, "the walker set A in the 4 MiB PDE it used");
  }

  @Test
  void turningPagingOffInLegacyModeFetchesTheNextInstructionUnpaged() {
    // the i386 relocate path: the page holding the MOV must be identity-mapped (SDM §9.9.1)
    TestMachine m = TestMachine.pae();
    assertHalted(m.run("""
        mov %cr0,%eax
        and $0x7fffffff,%eax
        mov %eax,%cr0
        xor %eax,%eax
        mov %eax,%cr4
        mov %eax,%cr3
        hlt
        """));
    assertEquals("protected (paging off)", m.cpu.modeName());
    assertEquals(0, m.cpu.control().cr4());
  }

  @Test
  void nearJumpToANonCanonicalAddressFaultsOnTheJump() {
    TestMachine m = TestMachine.longMode();
    var a = m.load("""
        movabs $0x0000800000000000,%rax
        jump: jmp *%rax
        """);
    RunResult r = m.cpu.run(10);
    assertEquals(GP, r.exceptions().get(0).vector());
    assertEquals((long) a.symbols().get("jump"), r.exceptions().get(0).rip(), "RIP names the jump, not the target");
  }
}
