package org.kexecsim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A sparse memory lists what was written as ascending, coalesced regions; a memory that cannot says so. */
class PopulatedRegionsTest {

  @Test
  void writtenFramesCoalesceIntoAscendingRegions() {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1L << 24));
    m.writeU8(0xA123, 1);
    m.writeU64(0x3008, 2);
    m.writeU8(0x1000, 3);
    m.writeU8(0x2FFF, 4);
    assertEquals(Optional.of(List.of(new ReadableMemory.Region(0x1000, 0x3000), new ReadableMemory.Region(0xA000, 0x1000))),
        m.populatedRegions());
  }

  @Test
  void anEmptyMemoryHasNoRegionsAndAReaderThatCannotListSaysSo() {
    assertEquals(Optional.of(List.of()), new SparseMemory(RamMap.ofSize(1L << 20)).populatedRegions());
    ReadableMemory opaque = new OverlayMemory(new SparseMemory(RamMap.ofSize(1L << 20)));
    assertEquals(Optional.empty(), opaque.populatedRegions());
  }
}
