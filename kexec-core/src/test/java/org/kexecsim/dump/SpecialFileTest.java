package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 item 3: a dump path that is not a regular file or block device is refused by type, before any open. */
class SpecialFileTest {
  @TempDir Path dir;

  private String refusal(Path p) {
    return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThrows(MalformedDumpException.class,
        () -> DumpFiles.open(List.of(p), Optional.empty(), null)).problem());
  }

  @Test
  void aFifoWithNoWriterIsRefusedWithoutHanging() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    assertEquals("is a FIFO; a dump is read from a regular file or a block device", refusal(fifo));
  }

  @Test
  void aDirectoryIsRefusedNamingIt() {
    assertEquals("is a directory; a dump is read from a regular file or a block device", refusal(dir));
  }

  @Test
  void aCharacterDeviceIsRefused() {
    assertEquals("is a character device; a dump is read from a regular file or a block device", refusal(Path.of("/dev/null")));
  }

  @Test
  void aRegularFileGetsPastTheTypeCheck() throws Exception {
    Path f = Files.write(dir.resolve("zeros"), new byte[64]);
    // past the type check, the content decides: zeros are no dump format
    String why = refusal(f);
    assertEquals(true, why.startsWith("not a dump format"), why);
  }
}
