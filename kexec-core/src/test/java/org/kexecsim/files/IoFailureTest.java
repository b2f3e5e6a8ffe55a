package org.kexecsim.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every I/O failure formats as "FILE: REASON": Java's path-only and reason-only messages are completed. */
class IoFailureTest {
  @Test
  void pathOnlyExceptionsGetTheirReason() {
    assertEquals(Optional.of("/a: no such file or directory"), IoFailure.describe(new NoSuchFileException("/a")));
    assertEquals(Optional.of("/a: permission denied"), IoFailure.describe(new AccessDeniedException("/a")));
    assertEquals(Optional.of("/a: not a directory"), IoFailure.describe(new NotDirectoryException("/a")));
    assertEquals(Optional.of("/a -> /b: Invalid cross-device link"),
        IoFailure.describe(new FileSystemException("/a", "/b", "Invalid cross-device link")));
  }

  @Test
  void reasonOnlyExceptionsGetTheirPathWhereTheFileIsKnown() {
    IOException enospc = new IOException("No space left on device");
    FileSystemException at = IoFailure.at(Path.of("/out/x"), enospc);
    assertEquals(Optional.of("/out/x: No space left on device"), IoFailure.describe(new UncheckedIOException(at)));
    assertSame(enospc, at.getCause());
    NoSuchFileException named = new NoSuchFileException("/in/y");
    assertSame(named, IoFailure.at(Path.of("/other"), named), "a failure that names its file keeps it");
    assertEquals(Optional.of("/s.S: not valid UTF-8 text (Input length = 1)"),
        IoFailure.describe(IoFailure.at(Path.of("/s.S"), new MalformedInputException(1))));
  }

  @Test
  void aFailureThatNamesNoFileSaysSoAndOtherThrowablesAreNotIoFailures() {
    assertEquals(Optional.of("I/O error on an unnamed file: Broken pipe"),
        IoFailure.describe(new IllegalStateException(new IOException("Broken pipe"))));
    assertEquals(Optional.empty(), IoFailure.describe(new IllegalStateException("not I/O")));
  }
}
