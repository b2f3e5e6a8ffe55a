package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The libc calls the diff leans on: memcmp's verdict matches mismatch's, and populate maps a file. */
class LibcTest {
  @TempDir Path dir;

  @Test
  void equalSaysWhatMismatchSaysWhereverTheOneDifferingByteIs() {
    try (Arena arena = Arena.ofConfined()) {
      int n = 3 * 4096 + 17;
      byte[] bytes = new byte[n];
      new Random(7).nextBytes(bytes);
      MemorySegment x = arena.allocate(n);
      MemorySegment y = arena.allocate(n);
      MemorySegment.copy(MemorySegment.ofArray(bytes), 0, x, 0, n);
      MemorySegment.copy(MemorySegment.ofArray(bytes), 0, y, 0, n);
      assertTrue(Libc.equal(x, y));
      for (long at : new long[] {0, 1, 4095, 4096, n / 2, n - 1}) {
        y.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) (x.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) ^ 0x80));
        assertFalse(Libc.equal(x, y), "a difference at byte " + at);
        assertFalse(Libc.equal(y, x), "a difference at byte " + at + ", arguments swapped");
        y.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, x.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at));
      }
      assertFalse(Libc.equal(x, y.asSlice(0, n - 1)), "lengths differ");
      assertTrue(Libc.equal(x.asSlice(5, 0), y.asSlice(9, 0)), "nothing equals nothing");
    }
  }

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
