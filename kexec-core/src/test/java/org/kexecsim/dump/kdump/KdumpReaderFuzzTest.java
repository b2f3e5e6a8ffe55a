package org.kexecsim.dump.kdump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.MalformedDumpException;
import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;

/**
 * The kdump-compressed, flattened and split readers over valid files the fuzzer then corrupts:
 * it picks the codec, patches bytes anywhere (header, sub-header, bitmaps, descriptors, page
 * data), may truncate, may send the file as a flattened stream or as split parts. Rule: a dump
 * whose every RAM page reads or is stated excluded, or one {@link MalformedDumpException}
 * naming a given file; never another Throwable, and no allocation the file's sizes ask for.
 */
class KdumpReaderFuzzTest {
  private static final Map<PageCodec, byte[]> BASE = new EnumMap<>(PageCodec.class);
  private static final Map<PageCodec, List<byte[]>> SPLIT = new EnumMap<>(PageCodec.class);
  private static final List<Path> FILES = new ArrayList<>();

  @BeforeAll
  static void baseFiles() throws IOException {
    SparseMemory m = new SparseMemory(RamMap.parse("0-0x3fff,0x8000-0xffff"));
    for (long pa = 0x8000; pa < 0xa000; pa += 8) {
      m.writeU64(pa, pa * 0x9E37_79B9_7F4A_7C15L);
    }
    m.writeU64(0x10, 0x1122334455667788L);
    KdumpTestWriter writer = KdumpTestWriter.of(m).vmcoreinfo("OSRELEASE=6.1.0\nPAGESIZE=4096\n").exclude(pfn -> pfn == 2, 31);
    for (PageCodec c : PageCodec.values()) {
      BASE.put(c, writer.codec(c).file());
      SPLIT.put(c, writer.codec(c).split(2));
    }
    Path shm = Path.of("/dev/shm");
    for (int i = 0; i < 3; i++) {
      FILES.add(Files.isDirectory(shm) && Files.isWritable(shm)
          ? Files.createTempFile(shm, "fuzz-kdump", ".kdump") : Files.createTempFile("fuzz-kdump", ".kdump"));
    }
  }

  @AfterAll
  static void removeFiles() throws IOException {
    for (Path p : FILES) {
      Files.deleteIfExists(p);
    }
  }

  private static byte[] patched(byte[] base, FuzzedDataProvider data) {
    byte[] b = base.clone();
    int n = data.consumeInt(0, 12);
    for (int i = 0; i < n && b.length > 8; i++) {
      int at = data.consumeInt(0, b.length - 8);
      ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
      switch (data.consumeInt(0, 2)) {
        case 0 -> buf.put(at, data.consumeByte());
        case 1 -> buf.putInt(at, data.consumeInt());
        default -> buf.putLong(at, data.consumeLong());
      }
    }
    if (data.consumeBoolean()) {
      b = java.util.Arrays.copyOf(b, data.consumeInt(0, b.length));
    }
    return b;
  }

  @FuzzTest(maxDuration = "60s")
  void anyCorruptedKdumpFileOpensOrNamesTheFileAndOffset(FuzzedDataProvider data) throws IOException {
    PageCodec codec = data.pickValue(PageCodec.values());
    int shape = data.consumeInt(0, 2); // 0 one file, 1 flattened, 2 split in two
    List<Path> given = new ArrayList<>();
    if (shape == 2) {
      List<byte[]> parts = SPLIT.get(codec);
      Files.write(FILES.get(0), patched(parts.get(0), data));
      Files.write(FILES.get(1), patched(parts.get(1), data));
      given.add(FILES.get(0));
      given.add(FILES.get(1));
    } else {
      byte[] file = patched(BASE.get(codec), data);
      Files.write(FILES.get(2), shape == 1 ? KdumpTestWriter.flatten(file, data.consumeInt(1, 8192), data.consumeLong()) : file);
      given.add(FILES.get(2));
    }
    Dump dump;
    try {
      dump = DumpFiles.open(given, Optional.empty(), null);
    } catch (MalformedDumpException e) {
      assertTrue(given.stream().anyMatch(p -> p.toString().equals(e.file())), e::getMessage);
      assertTrue(e.getMessage().startsWith(e.file() + ": offset 0x"), e.getMessage());
      return;
    }
    try (dump) {
      PhysicalMemory memory = dump.physicalMemory();
      for (RamRange r : memory.ramMap().ranges()) {
        for (long pa = r.start(); pa < r.end() && pa - r.start() < (1 << 20); pa += PhysicalMemory.PAGE_SIZE) {
          try {
            memory.readU64(pa);
            assertTrue(!memory.isExcluded(pa), "an excluded page read as data");
          } catch (PageExcludedException e) {
            assertTrue(memory.isExcluded(pa));
          } catch (MalformedDumpException e) {
            assertTrue(given.stream().anyMatch(p -> p.toString().equals(e.file())), e::getMessage);
          }
        }
      }
      dump.vmcoreInfo().ifPresent(VmcoreInfoCheck::touch);
      assertEquals(memory.excludedBytes() % PhysicalMemory.PAGE_SIZE, 0);
    }
  }

  private static final class VmcoreInfoCheck {
    static void touch(org.kexecsim.dump.VmcoreInfo info) {
      info.pageSize();
      info.osRelease();
    }
  }
}
