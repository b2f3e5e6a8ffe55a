package org.kexecsim.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one formatter of I/O failures: every message names the file and the reason, in one line.
 * Java's exceptions drop one or the other: NoSuchFileException's message is the path alone, a
 * failed write's is "No space left on device" with no path. {@link #at} attaches the path where a
 * file is read or written; {@link #describe} formats whatever reaches the command line.
 */
public final class IoFailure {
  private IoFailure() {}

  /** {@code e} as a failure of {@code path}: unchanged when it already names a file, else wrapped. */
  public static FileSystemException at(Path path, IOException e) {
    if (e instanceof FileSystemException f && f.getFile() != null) {
      return f;
    }
    FileSystemException f = new FileSystemException(path.toString(), null, reason(e));
    f.initCause(e);
    return f;
  }

  /** The reason of {@code e} in words, never null, never the path alone. */
  public static String reason(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() != null && !f.getReason().isBlank()) {
      return f.getReason();
    }
    String byKind = switch (e) {
      case NoSuchFileException x -> "no such file or directory";
      case AccessDeniedException x -> "permission denied";
      case FileAlreadyExistsException x -> "already exists (a file where a directory is needed?)";
      case NotDirectoryException x -> "not a directory";
      case DirectoryNotEmptyException x -> "directory not empty";
      case NotLinkException x -> "not a symbolic link";
      case FileSystemLoopException x -> "a loop of symbolic links";
      case TextFile.NotUtf8 x -> "not valid UTF-8 text: " + x.getMessage();
      case CharacterCodingException x -> "not valid UTF-8 text (" + e.getMessage() + ")"; // every text file here is read as UTF-8
      default -> null;
    };
    if (byKind != null) {
      return byKind;
    }
    if (e instanceof FileSystemException) {
      return e.getClass().getSimpleName();
    }
    return e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.getClass().getSimpleName();
  }

  /**
   * One line for the first I/O failure in {@code t}'s causes: "FILE: REASON" (or "FILE -> OTHER:
   * REASON"); a failure that names no file says so rather than pass for one that does.
   */
  public static Optional<String> describe(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof UncheckedIOException u && u.getCause() != null) {
        c = u.getCause();
      }
      if (c instanceof FileSystemException f && f.getFile() != null) {
        return Optional.of(f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason(f));
      }
      if (c instanceof IOException e) {
        Optional<String> deeper = e.getCause() == null ? Optional.empty() : describe(e.getCause());
        return Optional.of(deeper.orElse("I/O error on an unnamed file: " + reason(e)));
      }
    }
    return Optional.empty();
  }
}
