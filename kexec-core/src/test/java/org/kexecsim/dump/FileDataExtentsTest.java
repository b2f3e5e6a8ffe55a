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

  @Test
  void aRawImageAnswersWholeRangesFromItsExtentsAndHoles() throws IOException {
    // 64 GiB of RAM in a sparse raw file with data at 1 GiB and at the last page only
    Path f = dir.resolve("ram");
    long size = 64L << 30;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), 1L << 30);
      ch.write(ByteBuffer.wrap(new byte[] {2}), size - 1);
    }
    assumeTrue(FileDataExtents.of(f, size).isPresent(), "the file system cannot report holes");
    try (Dump d = RawImage.open(f, org.kexecsim.memory.RamMap.parse("0+64G"))) {
      MappedFileMemory m = (MappedFileMemory) d.physicalMemory();
      assertFalse(m.mayHaveData(0, 1L << 30), "the first GiB is a hole");
      assertTrue(m.mayHaveData((1L << 30) - 4096, (1L << 30) + 1), "a range ending at the data byte");
      assertFalse(m.mayHaveData((1L << 30) + (1 << 20), size - (1 << 20)), "62 GiB of hole between the two");
      assertTrue(m.mayHaveData(0, size));
      assertTrue(m.mayHaveData(size - 4096, size));
    }
  }
}
