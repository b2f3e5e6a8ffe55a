package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The libc call the diff leans on: populate maps a file. */
class LibcTest {
  @TempDir Path dir;

  @Test
  void populateMapsAFileMappingAndRefusesNothingItShouldNot() throws IOException {
    Path f = Files.write(dir.resolve("f"), new byte[1 << 20]);
    try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(f)) {
      MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      // Linux 5.14+ (MADV_POPULATE_READ); the build and the CI run on newer kernels
      assertTrue(Libc.populate(m), "madvise(MADV_POPULATE_READ) on a read-only file mapping");
      assertFalse(Libc.populate(m.asSlice(0, 0)), "an empty range is not a call");
    }
  }
}
