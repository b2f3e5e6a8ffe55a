package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

class CrashRegionTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  @Test
  void simpleSizeAndOffset() {
    assertEquals(new CrashKernelSpec(256 * MIB, 0, false), CrashKernelSpec.parse("256M", 8 * GIB));
    assertEquals(new CrashKernelSpec(256 * MIB, GIB, false), CrashKernelSpec.parse("256M@1G", 8 * GIB));
    assertEquals(new CrashKernelSpec(0x1000_0000L, 0, true), CrashKernelSpec.parse("0x10000000,high", 8 * GIB));
  }

  @Test
  void rangeListPicksTheRangeHoldingTheRamSizeRoundedUpTo128M() {
    String spec = "1G-4G:192M,4G-64G:256M,64G-:512M";
    assertEquals(192 * MIB, CrashKernelSpec.parse(spec, 2 * GIB).size());
    // 4G - 64M of RAM rounds up to 4G, which is in [4G, 64G)
    assertEquals(256 * MIB, CrashKernelSpec.parse(spec, 4 * GIB - 64 * MIB).size());
    assertEquals(512 * MIB, CrashKernelSpec.parse(spec, 100 * GIB).size());
    assertEquals(0, CrashKernelSpec.parse(spec, 768 * MIB).size(), "no range matches: zero bytes");
    // every size parsed before the match must be below the RAM size: 512M >= 512M of RAM
    assertEquals(Errno.EINVAL, assertThrows(KexecException.class, () -> CrashKernelSpec.parse(spec, 512 * MIB)).errno());
    assertEquals(new CrashKernelSpec(192 * MIB, 48 * MIB, false), CrashKernelSpec.parse("1G-4G:192M@48M", 2 * GIB));
  }

  @Test
  void malformedValuesAreEinvalWithTheKernelsWarning() {
    KexecException e = assertThrows(KexecException.class, () -> CrashKernelSpec.parse("1G-4G:192M,4G:256M", 8 * GIB));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains("'-' expected"), e.getMessage());
    KexecException colon = assertThrows(KexecException.class, () -> CrashKernelSpec.parse("1G-4G-:192M", 8 * GIB));
    assertTrue(colon.getMessage().contains("':' expected"), colon.getMessage());
    assertEquals(Errno.EINVAL, assertThrows(KexecException.class, () -> CrashKernelSpec.parse("4G-1G:64M", 2 * GIB)).errno());
    assertEquals(Errno.EINVAL, assertThrows(KexecException.class, () -> CrashKernelSpec.parse("256Q", 2 * GIB)).errno());
    KexecException tooBig = assertThrows(KexecException.class, () -> CrashKernelSpec.parse("1G-:2G", 2 * GIB));
    assertTrue(tooBig.getMessage().contains("invalid size"), tooBig.getMessage());
  }

  @Test
  void sizesOf2To63BytesAndMoreFitNowhere() {
    // found by fuzzing: 12E (2^63 + 2^62) compared as a negative long "fitted" everywhere
    for (String huge : List.of("12E", "0xfffffffffffff001")) {
      KexecException e = assertThrows(KexecException.class, () -> CrashRegion.reserve(
          CrashKernelSpec.parse(huge, 8 * GIB), RamMap.ofSize(8 * GIB), Arch.X86_64, List.of()));
      assertEquals(Errno.ENOMEM, e.errno(), e.getMessage());
    }
  }

  @Test
  void x86_64ReservesTheHighest16MAlignedBlockBelow4G() {
    RamMap ram = RamMap.ofSize(8 * GIB);
    CrashRegion r = CrashRegion.reserve(CrashKernelSpec.parse("256M", 8 * GIB), ram, Arch.X86_64, List.of()).orElseThrow();
    assertEquals(4 * GIB - 256 * MIB, r.start());
    assertEquals(4 * GIB - 1, r.end());
  }

  @Test
  void i386StaysBelow512M() {
    RamMap ram = RamMap.ofSize(2 * GIB);
    CrashRegion r = CrashRegion.reserve(CrashKernelSpec.parse("64M", 2 * GIB), ram, Arch.PAE, List.of()).orElseThrow();
    assertEquals(512 * MIB - 64 * MIB, r.start());
  }

  @Test
  void sizeIsRoundedToPagesAndTheBaseTo16M() {
    RamMap ram = RamMap.of(RamRange.usable(0, 3 * GIB), RamRange.reserved(3 * GIB, GIB), RamRange.usable(4 * GIB, GIB));
    CrashRegion r = CrashRegion.reserve(CrashKernelSpec.parse("100000K", 5 * GIB), ram, Arch.X86_64, List.of()).orElseThrow();
    assertEquals(0, r.start() % (16 * MIB));
    assertEquals(0, r.size() % 4096);
    assertTrue(r.end() < 3 * GIB, "the reserved hole at 3G is skipped");
  }

  @Test
  void lowMemoryFullFallsBackAbove4G() {
    RamMap ram = RamMap.of(RamRange.usable(0, 64 * MIB), RamRange.usable(4 * GIB, 4 * GIB));
    CrashRegion r = CrashRegion.reserve(CrashKernelSpec.parse("256M", 8 * GIB), ram, Arch.X86_64, List.of()).orElseThrow();
    assertEquals(8 * GIB - 256 * MIB, r.start());
  }

  @Test
  void aFixedBaseMustBeAlignedAndFree() {
    RamMap ram = RamMap.ofSize(2 * GIB);
    CrashRegion r = CrashRegion.reserve(CrashKernelSpec.parse("128M@256M", 2 * GIB), ram, Arch.X86_64, List.of()).orElseThrow();
    assertEquals(256 * MIB, r.start());
    KexecException unaligned = assertThrows(KexecException.class, () ->
        CrashRegion.reserve(CrashKernelSpec.parse("128M@260M", 2 * GIB), ram, Arch.X86_64, List.of()));
    assertTrue(unaligned.getMessage().contains("memory is in use"), unaligned.getMessage());
    KexecException busy = assertThrows(KexecException.class, () -> CrashRegion.reserve(
        CrashKernelSpec.parse("128M@256M", 2 * GIB), ram, Arch.X86_64, List.of(new PhysicalRange(300 * MIB, MIB))));
    assertEquals(Errno.ENOMEM, busy.errno());
  }

  @Test
  void nothingFitsIsEnomem() {
    KexecException e = assertThrows(KexecException.class, () -> CrashRegion.reserve(
        CrashKernelSpec.parse("768M", 2 * GIB), RamMap.ofSize(GIB), Arch.I386, List.of()));
    assertEquals(Errno.ENOMEM, e.errno());
    assertTrue(e.sentence().startsWith("cannot allocate crashkernel"), e.getMessage());
  }
}
