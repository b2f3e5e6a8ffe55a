package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;

/** A dump truncated while it is mapped: the JVM's InternalError is explained as the file that changed. */
class MappedFilesTest {
  @TempDir Path dir;

  /** An ELF core of 16 MiB of RAM, every page holding data, so nothing of it is a hole. */
  static Path core(Path dir) throws Exception {
    RamMap map = RamMap.ofSize(16 << 20);
    SparseMemory m = new SparseMemory(map);
    byte[] data = new byte[16 << 20];
    new Random(7).nextBytes(data);
    m.write(0, data, 0, data.length);
    Path f = dir.resolve("shrinks.core");
    ElfCoreWriter.write(m, CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, map.ranges(), List.of(), Optional.empty()), f, false);
    return f;
  }

  @Test
  void aDumpTruncatedWhileMappedIsNamedWithItsSizes() throws Exception {
    Path f = core(dir);
    long size = Files.size(f);
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      d.physicalMemory().readU64(15 << 20); // mapped and readable before
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.truncate(4096);
      }
      Error e = assertThrows(Error.class, () -> d.physicalMemory().readU64(14 << 20), "a read of a lost page faults");
      var changed = MappedFiles.explain(new IllegalStateException("a worker failed", e));
      assertTrue(changed.isPresent(), "the fault is explained through any wrapping: " + e);
      assertEquals(f.toAbsolutePath() + ": changed while it was read (it was " + size + " bytes, it is now 4096);"
          + " the results would be incomplete", changed.get().getMessage());
    }
  }

  @Test
  void anErrorWithNoShrunkenFileIsNotExplained() throws Exception {
    Path f = core(dir);
    try (Dump d = DumpFiles.open(List.of(f), Optional.empty(), null)) {
      d.physicalMemory().readU64(0);
    }
    assertEquals(Optional.empty(), MappedFiles.explain(new InternalError("something else")));
    assertEquals(Optional.empty(), MappedFiles.explain(new IllegalStateException("no Error at all")));
  }
}
