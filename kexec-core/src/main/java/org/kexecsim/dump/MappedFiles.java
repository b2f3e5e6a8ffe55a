package org.kexecsim.dump;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Every dump file mapped for reading, with its size when mapped: the one home of
 * {@code FileChannel.map} for dumps. A mapped file that another process truncates makes a read of
 * the lost pages raise SIGBUS, which the JVM turns into an {@link InternalError} ("a fault
 * occurred in an unsafe memory access operation") wherever the read happens, on any thread.
 * {@link #explain} turns that Error back into what happened: which file changed while it was read.
 */
public final class MappedFiles {
  private MappedFiles() {}

  private record Mapping(Path path, long size) {}

  /** The most recent mappings of this process; a command opens a handful. */
  private static final int KEEP = 256;
  private static final Deque<Mapping> RECENT = new ArrayDeque<>();

  /** A file shorter now than when it was mapped. An I/O failure (exit 4), naming the file. */
  public static final class ChangedWhileReadException extends FileSystemException {
    ChangedWhileReadException(Path path, long was, long now, Throwable cause) {
      super(path.toString(), null,
          "changed while it was read (it was " + was + " bytes, it is now " + now + "); the results would be incomplete");
      initCause(cause);
    }

    @Override
    public String getMessage() {
      return getFile() + ": " + getReason();
    }
  }

  /** What a reader builds from a file, with the arena its mappings go into and the result owns. */
  @FunctionalInterface
  public interface Reader<T> {
    T read(FileChannel channel, Arena arena) throws IOException;
  }

  /**
   * Opens {@code path} for {@code reader} with a shared arena the result owns: on any failure the
   * arena, and every mapping made in it, is closed; an I/O failure names the file.
   */
  public static <T> T open(Path path, Reader<T> reader) throws IOException {
    Arena arena = Arena.ofShared();
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      return reader.read(channel, arena);
    } catch (IOException e) {
      arena.close();
      throw org.kexecsim.files.IoFailure.at(path, e);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** Maps {@code size} bytes of {@code path} read-only into {@code arena}, remembering the size. */
  public static MemorySegment map(FileChannel ch, Path path, long size, Arena arena) throws IOException {
    MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
    synchronized (RECENT) {
      if (RECENT.size() == KEEP) {
        RECENT.removeFirst();
      }
      RECENT.addLast(new Mapping(path.toAbsolutePath(), size));
    }
    return s;
  }

  /**
   * When {@code t} or one of its causes is the JVM's report of a fault in a mapped-memory access
   * and a file mapped by this process has shrunk since, that file, as an exception to report.
   */
  public static Optional<ChangedWhileReadException> explain(Throwable t) {
    Throwable fault = null;
    for (Throwable c = t; c != null && fault == null; c = c.getCause()) {
      if (c instanceof InternalError) {
        fault = c;
      }
    }
    if (fault == null) {
      return Optional.empty();
    }
    Mapping[] all;
    synchronized (RECENT) {
      all = RECENT.toArray(new Mapping[0]);
    }
    for (int i = all.length - 1; i >= 0; i--) {
      Mapping m = all[i];
      long now;
      try {
        now = Files.size(m.path());
      } catch (IOException e) {
        continue; // removed or renamed away: its mapping still holds the old inode, which cannot fault
      }
      if (now < m.size()) {
        return Optional.of(new ChangedWhileReadException(m.path(), m.size(), now, fault));
      }
    }
    return Optional.empty();
  }
}
