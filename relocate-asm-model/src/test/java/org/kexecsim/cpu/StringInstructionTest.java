package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.cpu.TestMachine.assertHalted;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.kexecsim.mmu.ExceptionVector;

/** MOVS/STOS with and without REP (SDM Vol. 2 MOVS, STOS, REP). */
class StringInstructionTest {
  static final int RCX = 1, RSI = 6, RDI = 7;

  @Test
  void repMovsqCopiesPagesAcrossDifferentMappings() {
    TestMachine m = TestMachine.longMode();
    byte[] src = new byte[3 * 4096 + 8];
    new Random(4).nextBytes(src);
    m.memory.write(0x800000, src, 0, src.length);
    assertHalted(m.run("""
        mov $0x800000,%esi
        mov $0xa00008,%edi       # destination not page-aligned: chunks split at both page ends
        mov $(3 * 512 + 1),%ecx
        cld
        rep movsq
        hlt
        """));
    byte[] dst = new byte[src.length];
    m.memory.read(0xa00008, dst, 0, dst.length);
    assertArrayEquals(src, dst);
    assertEquals(0, m.cpu.register(RCX));
    assertEquals(0x800000 + src.length, m.cpu.register(RSI));
    assertEquals(0xa00008 + src.length, m.cpu.register(RDI));
  }

  @Test
  void overlappingForwardMovsbReplicatesLikeByteByByte() {
    TestMachine m = TestMachine.longMode();
    m.memory.writeU8(0x800000, 0xAB);
    assertHalted(m.run("""
        mov $0x800000,%esi
        mov $0x800001,%edi
        mov $100,%ecx
        rep movsb
        hlt
        """));
    for (int i = 0; i <= 100; i++) {
      assertEquals(0xAB, m.memory.readU8(0x800000 + i), "byte " + i);
    }
  }

  @Test
  void repStosFillsAndStdRunsBackwards() {
    TestMachine m = TestMachine.protectedFlat();
    assertHalted(m.run("""
        mov $0x600000,%edi
        mov $0x11223344,%eax
        mov $2000,%ecx
        rep stosl
        std
        mov $0x700010,%edi
        mov $4,%ecx
        rep stosb
        cld
        hlt
        """));
    assertEquals(0x11223344L, m.memory.readU32(0x600000 + 4 * 1999));
    assertEquals(0, m.memory.readU32(0x600000 + 4 * 2000));
    assertEquals(0x44444444L, m.memory.readU32(0x70000D));
    assertEquals(0x70000C, m.cpu.register(RDI));
  }

  @Test
  void aFaultInTheMiddleLeavesRegistersAtTheFaultingElement() {
    TestMachine m = TestMachine.longMode();
    m.memory.writeU64(TestMachine.PD + 8L * 5, 0); // hole at [10 MiB, 12 MiB)
    RunResult r = m.run("""
        mov $0x800000,%esi
        mov $0x9ff000,%edi       # the last page below the hole
        mov $1024,%ecx
        rep movsq
        hlt
        """);
    assertEquals(ExceptionVector.PF, r.exceptions().get(0).vector());
    assertEquals(512, m.cpu.register(RCX), "one page copied, 512 qwords left");
    assertEquals(0xa00000, m.cpu.register(RDI));
    assertEquals(0xa00000L, m.cpu.cr2());
  }

  /** Not a unit test: prints copy throughput through the MMU. Run with -Dtest=StringInstructionTest#repMovsqThroughputIsMeasured. */
  @Test
  void repMovsqThroughputIsMeasured() {
    TestMachine m = TestMachine.longMode();
    long bytes = 16L << 20;
    m.load("""
        1: mov $0x1000000,%esi
        mov $0x2000000,%edi
        mov $(0x1000000 >> 3),%ecx
        rep movsq
        jmp 1b
        """);
    m.memory.writeU64(0x1000000 + bytes - 8, 0x5A5A);
    m.cpu.run(5 * 5 * 8); // warm-up
    long t0 = System.nanoTime();
    int rounds = 40;
    m.cpu.run(5L * rounds);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("rep movsq through 4-level paging: %.2f GB/s%n", rounds * bytes / seconds / 1e9);
    assertEquals(0x5A5A, m.memory.readU64(0x2000000 + bytes - 8));
  }
}
