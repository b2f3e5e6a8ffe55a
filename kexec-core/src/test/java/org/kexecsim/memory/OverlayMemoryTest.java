package org.kexecsim.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OverlayMemoryTest {

  @Test
  void overlayKeepsWritesPrivateOverAReadOnlyImage(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ram.img");
    ByteBuffer b = ByteBuffer.allocate(0x3000).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0x1000, 0x1122_3344_5566_7788L);
    Files.write(file, b.array());
    try (org.kexecsim.dump.Dump dump = org.kexecsim.dump.RawImage.open(file)) {
      PhysicalMemory raw = dump.physicalMemory();
      assertEquals(0x1122_3344_5566_7788L, raw.readU64(0x1000));
      assertEquals(0x5566_7788L, raw.readU32(0x1000));
      PhysicalAccessException e = assertThrows(PhysicalAccessException.class, () -> raw.readU64(0x2FFC));
      assertTrue(e.getMessage().contains("0x2ffc"), e.getMessage());
      assertThrows(RuntimeException.class, () -> raw.writeU8(0, 1), "the image is read-only");

      OverlayMemory o = new OverlayMemory(raw);
      o.writeU64(0x1000, 5);
      o.writeU32(0x1FFE, 0xAABB_CCDDL); // straddles into a second frame
      assertEquals(5, o.readU64(0x1000));
      assertEquals(0xAABB_CCDDL, o.readU32(0x1FFE));
      assertEquals(0x1122_3344_5566_7788L, raw.readU64(0x1000), "the image is untouched");
      assertEquals(2, o.framesCopied());
    }
  }

  @Test
  void aRamMapBeyondTheFileIsRefused(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("small.img");
    Files.write(file, new byte[4096]);
    var e = assertThrows(org.kexecsim.dump.MalformedDumpException.class,
        () -> org.kexecsim.dump.RawImage.open(file, RamMap.ofSize(8192)));
    assertTrue(e.getMessage().contains("0x1fff"), e.getMessage());
  }
}
