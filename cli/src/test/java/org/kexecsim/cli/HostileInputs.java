package org.kexecsim.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the hostile inputs of testdata/hostile/catalogue.txt, one per case name: small files
 * built byte by byte so that each breaks exactly one rule.
 */
final class HostileInputs {
  private HostileInputs() {}

  interface Maker {
    void write(Path file) throws IOException;
  }

  static final Map<String, Maker> CASES = new LinkedHashMap<>();

  static {
    CASES.put("cr3-outside-ram", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("pae-pdpt-outside-ram", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("table-entry-outside-ram", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x20_0003L)));
    CASES.put("self-referencing-table", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x1003L)));
    CASES.put("ram-map-beyond-image", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("empty-raw-image", f -> raw(f, 0, Map.of()));
    CASES.put("indirection-list-loop", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x2001L, 0x1008L, 0x3008L, 0x1010L, 0x1002L)));
    CASES.put("indirection-list-outside-ram", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x10_0002L)));
  }

  /** A raw image of {@code size} bytes, zero but for the given 64-bit words. */
  private static void raw(Path file, int size, Map<Long, Long> words) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    words.forEach((at, value) -> b.putLong(Math.toIntExact(at), value));
    Files.write(file, b.array());
  }

  /** Writes every case into {@code dir}, named after the case: to look at them by hand. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    Files.createDirectories(dir);
    for (var e : CASES.entrySet()) {
      e.getValue().write(dir.resolve(e.getKey()));
    }
  }
}
