package org.kexecsim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RamMapTest {

  @Test
  void parsesE820StyleAndSizeStyleItems() {
    RamMap m = RamMap.parse("0-0x9ffff, 0x100000+1G, 0xfee00000-0xfee00fff:reserved");
    assertEquals(List.of(
        RamRange.usable(0, 0xA0000),
        RamRange.usable(0x100000, 1L << 30),
        RamRange.reserved(0xFEE0_0000L, 0x1000)), m.ranges());
    assertEquals(0xA0000 + (1L << 30), m.usableBytes());
  }

  @Test
  void overlappingRangesAreRefused() {
    InvalidRamMapException e = assertThrows(InvalidRamMapException.class, () -> RamMap.parse("0+2M,1M+2M"));
    assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    assertThrows(InvalidRamMapException.class, () -> RamMap.of(List.of()));
    assertThrows(InvalidRamMapException.class, () -> RamMap.parse("0x2000-0x1000"));
    assertThrows(InvalidRamMapException.class, () -> RamMap.parse("nonsense"));
    assertThrows(InvalidRamMapException.class, () -> RamMap.parse("0xffffffffffff0000+1M"), "wraps");
  }

  @Test
  void containsRangeDoesNotCrossHoles() {
    RamMap m = RamMap.parse("0-0xfff,0x2000-0x2fff");
    assertTrue(m.containsRange(0, 0x1000));
    assertFalse(m.containsRange(0xFFF, 2));
    assertFalse(m.contains(0x1800));
    assertTrue(m.contains(0x2FFF));
  }

  @Test
  void sizesParseWithBinarySuffixes() {
    assertEquals(4096, ByteSize.parse("4K"));
    assertEquals(64L << 40, ByteSize.parse("64T"));
    assertEquals(256L << 20, ByteSize.parse("256MiB"));
    assertEquals(0xffffffff81000000L, ByteSize.parse("0xffffffff81000000"));
    assertThrows(NumberFormatException.class, () -> ByteSize.parse("17E"));
    assertEquals("1G", ByteSize.format(1L << 30));
    assertEquals("4097", ByteSize.format(4097));
  }
}
