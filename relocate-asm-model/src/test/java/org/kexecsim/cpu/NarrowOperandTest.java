package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.cpu.TestMachine.assertHalted;

import org.junit.jupiter.api.Test;
import org.kexecsim.isa.Gpr;
import org.kexecsim.mmu.CpuFeatures;

/**
 * Byte and word operands outside the ALU (which HostCpuOracleTest checks against the host CPU):
 * string instructions, segment-register moves, and CPUID describing the modelled CPU.
 */
class NarrowOperandTest {
  @Test
  void repMovswAndStoswMoveWords() {
    TestMachine m = TestMachine.longMode();
    m.memory.writeU64(0x20000, 0x1122_3344_5566_7788L);
    assertHalted(m.run("""
        mov $0x20000,%esi
        mov $0x30000,%edi
        mov $3,%ecx
        rep movsw
        mov $0xabcd,%eax
        mov $2,%ecx
        rep ; stosw
        hlt
        """));
    // three words copied, then two words of 0xabcd after them (SDM Vol. 2 MOVS, STOS: element size 2)
    assertEquals(0x5566_7788L, m.memory.readU32(0x30000));
    assertEquals(0x3344, m.memory.readU16(0x30004));
    assertEquals(0xabcd_abcdL, m.memory.readU32(0x30006));
    assertEquals(0x30000 + 10, m.reg(Gpr.RDI));
    assertEquals(0, m.reg(Gpr.RCX));
  }

  @Test
  void movFromSegmentToA16BitRegisterKeepsTheUpperBits() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $-1,%rax
        mov $-1,%rbx
        movw %ds,%ax
        movl %ds,%ebx
        hlt
        """));
    int ds = m.cpu.segment(org.kexecsim.isa.Segment.DS).selector();
    // SDM Vol. 2 MOV: a 16-bit destination gets the selector alone; a 32-bit one is zero-extended
    assertEquals(0xFFFF_FFFF_FFFF_0000L | ds, m.reg(Gpr.RAX));
    assertEquals(ds, m.reg(Gpr.RBX));
  }

  @Test
  void cpuidReportsLongModeAndTheModelsAddressWidths() {
    TestMachine m = TestMachine.longMode();
    assertHalted(m.run("""
        mov $0x80000001,%eax
        cpuid
        mov %edx,%esi
        mov $0x80000008,%eax
        cpuid
        hlt
        """));
    assertEquals(1L << 29, m.reg(Gpr.RSI) & (1L << 29), "CPUID 80000001H EDX[29] LM");
    assertEquals(CpuFeatures.DEFAULT.maxPhyAddr(), m.reg(Gpr.RAX) & 0xFF, "CPUID 80000008H EAX[7:0] MAXPHYADDR");
  }

  @Test
  void highByteRegistersAreBits15To8() {
    TestMachine m = TestMachine.protectedFlat();
    assertHalted(m.run("""
        mov $0x11223344,%ebx
        mov $0xaa,%bh
        add $0x80,%bl
        mov %bh,%cl
        hlt
        """));
    assertEquals(0x1122_aac4L, m.reg(Gpr.RBX));
    assertEquals(0xaa, m.reg(Gpr.RCX) & 0xFF);
  }
}
