package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lseek SEEK_DATA/SEEK_HOLE through java.lang.foreign: a sparse file's holes are known without reading them. */
class FileDataExtentsTest {
  @TempDir Path dir;

  @Test
  void theHolesOfASparseFileHoldNoData() throws IOException {
    Path f = dir.resolve("sparse");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), 0);
      ch.write(ByteBuffer.wrap(new byte[] {2}), 64L << 20);
    }
    Optional<FileDataExtents> x = FileDataExtents.of(f, (64L << 20) + 1);
    assumeTrue(x.isPresent(), "the file system cannot report holes");
    assertTrue(x.get().hasData(0, 4096));
    assertTrue(x.get().hasData(64L << 20, 1));
    assertFalse(x.get().hasData(32L << 20, 4096), "32 MiB into the file is a hole");
    assertTrue(x.get().dataBytes() < (1L << 20), "a few blocks of data, not 64 MiB");
  }
}
