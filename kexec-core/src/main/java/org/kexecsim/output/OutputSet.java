package org.kexecsim.output;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.kexecsim.files.IoFailure;

/**
 * The one home of every file the project writes: output that appears whole or not at all.
 *
 * <p>A set ({@link #directory}) is a directory of named files, written into a hidden sibling
 * directory ({@code .NAME.kexec-sim-PID-N.tmp}), each file and then that directory fsynced, and
 * published in one step: rename(2) when the target is absent or empty, otherwise renameat2(2)
 * RENAME_EXCHANGE, which swaps the old and the new directory so that a reader sees the whole old
 * set or the whole new one, never a mix and never nothing; then the parent directory is fsynced
 * and the old generation removed. A single file ({@link #file}) is written under a hidden sibling
 * name and renamed (or, without force, hard-linked: link(2) never replaces) into place.
 *
 * <p>Everything is checked before anything is written: an existing output without force, a target
 * that is not a directory, a directory holding files that are not the set's. A failure while
 * writing, {@link #close} without {@link #commit}, or {@link #abandonAll} (the command line's
 * shutdown hook, on SIGINT/SIGTERM) removes the staging files and leaves the target untouched.
 * Staging left by a killed process (SIGKILL) is removed by the next run writing the same target,
 * once the process named in it is gone.
 */
public final class OutputSet implements AutoCloseable {

  /** Opens a staged file for writing; tests substitute one whose writes fail (a full disk). */
  @FunctionalInterface
  public interface ChannelOpener {
    FileChannel open(Path staged) throws IOException;
  }

  private static final ChannelOpener FILES = p -> FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  private static final String MARK = ".kexec-sim-";
  /** errno values meaning renameat2 or its flag is not supported here (asm-generic/errno*.h). */
  private static final int EINVAL = 22;
  private static final int ENOSYS = 38;

  /** Guards every publish and every abandon, so that a signal never removes a set mid-swap. */
  private static final Object LOCK = new Object();
  private static final Set<OutputSet> PENDING = new LinkedHashSet<>();

  private final Path shown;
  private final Path target;
  private final List<String> names;
  private final boolean force;
  /** The staged file (a set: directory); for a device or FIFO the target itself. */
  private final Path stage;
  /** A device or FIFO written in place: never renamed, never removed. */
  private final boolean direct;
  private final List<Path> created = new ArrayList<>();
  private ChannelOpener opener = FILES;
  private boolean committed;
  private boolean abandoned;

  private OutputSet(Path shown, Path target, List<String> names, boolean force, Path stage, boolean direct) {
    this.direct = direct;
    this.shown = shown;
    this.target = target;
    this.names = names;
    this.force = force;
    this.stage = stage;
  }

  /**
   * A directory {@code dir} holding exactly the files {@code names}, replaced as a whole. Refused
   * before anything is written when {@code dir} holds any of them and {@code force} is off, or
   * holds anything else (the swap would drop it).
   */
  public static OutputSet directory(Path dir, List<String> names, boolean force) throws IOException {
    Path target = resolve(dir);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new OutputException(OutputException.Kind.NOT_OURS, dir.toString(), "exists and is not a directory; nothing was written", null);
      }
      checkContents(dir, target, names, force);
    }
    Path parent = parentOf(dir, target);
    Path stage;
    try {
      Files.createDirectories(parent);
      removeStale(parent, target.getFileName().toString());
      stage = Files.createDirectory(stageName(parent, target, "tmp"));
    } catch (IOException e) {
      throw new OutputException(OutputException.Kind.FAILED, dir.toString(),
          "cannot be written: " + reason(e, target) + "; nothing was written", e);
    }
    return register(new OutputSet(dir, target, List.copyOf(names), force, stage, false));
  }

  /** {@code bytes} as the whole of {@code file}, through {@link #file}: all of it or nothing. */
  public static void writeFile(Path file, byte[] bytes, boolean force) throws IOException {
    try (OutputSet o = file(file, force)) {
      try (FileChannel ch = o.create(null)) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
      } catch (IOException e) {
        throw o.failed(null, e);
      }
      o.commit();
    }
  }

  /** One file, replaced atomically; refused before anything is written when it exists and {@code force} is off. */
  public static OutputSet file(Path file, boolean force) throws IOException {
    Path target = resolve(file);
    if (Files.isDirectory(target)) {
      throw new OutputException(OutputException.Kind.NOT_OURS, file.toString(), "is a directory; nothing was written", null);
    }
    if (!force && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new OutputException(OutputException.Kind.EXISTS, file.toString(), "exists; nothing was written", null);
    }
    if (Files.exists(target) && !Files.isRegularFile(target)) {
      // a device or a FIFO (/dev/null, a pipe): written in place, there is no file to replace
      return register(new OutputSet(file, target, List.of(), force, target, true));
    }
    Path parent = parentOf(file, target);
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new OutputException(OutputException.Kind.FAILED, file.toString(),
          "cannot be written: " + reason(e, target) + "; nothing was written", e);
    }
    removeStale(parent, target.getFileName().toString());
    return register(new OutputSet(file, target, List.of(), force, stageName(parent, target, "tmp"), false));
  }

  /** Writes through {@code o} instead of FileChannel.open; for tests that make the disk fail. */
  public OutputSet withOpener(ChannelOpener o) {
    this.opener = o;
    return this;
  }

  /** The final path of {@code name} in a set (what callers report), or of the file. */
  public Path finalPath(String name) {
    return names.isEmpty() ? shown : shown.resolve(name);
  }

  /** A new, empty staged file for {@code name} of the set (for {@link #file}, pass {@code null}). */
  public FileChannel create(String name) throws IOException {
    Path p;
    if (names.isEmpty()) {
      p = stage;
    } else {
      if (!names.contains(name)) {
        throw new IllegalArgumentException(name + " is not one of the set's files " + names);
      }
      p = stage.resolve(name);
    }
    synchronized (LOCK) {
      if (abandoned) {
        throw new OutputException(OutputException.Kind.FAILED, shown.toString(), "interrupted; nothing was changed", null);
      }
      created.add(p);
    }
    return direct ? FileChannel.open(p, StandardOpenOption.WRITE) : opener.open(p);
  }

  /** The failure {@code e} while writing {@code what}, as one line naming the target and saying that nothing was changed. */
  public OutputException failed(String what, IOException e) {
    if (e instanceof OutputException o) {
      return o;
    }
    return new OutputException(OutputException.Kind.FAILED, shown.toString(),
        "cannot write" + (what == null ? "" : " " + what) + ": " + reason(e, target) + "; nothing was changed", e);
  }

  /** Makes the staged output durable and puts it in place as a whole. */
  public void commit() throws IOException {
    if (direct) {
      close();
      return;
    }
    try {
      for (Path p : created) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
          ch.force(true);
        }
      }
      if (!names.isEmpty()) {
        if (!created.stream().map(p -> p.getFileName().toString()).toList().containsAll(names)) {
          throw new IllegalStateException("set " + shown + " is missing some of " + names);
        }
        fsyncDirectory(stage);
      }
    } catch (IOException e) {
      throw failed(null, e);
    }
    synchronized (LOCK) {
      if (abandoned) {
        throw new OutputException(OutputException.Kind.FAILED, shown.toString(), "interrupted; nothing was changed", null);
      }
      try {
        if (names.isEmpty()) {
          publishFile();
        } else {
          publishDirectory();
        }
      } catch (IOException e) {
        throw failed(null, e);
      }
      committed = true;
    }
    try {
      fsyncDirectory(target.getParent());
    } catch (IOException e) {
      // published; a file system that cannot fsync a directory still has the new set in place
    }
    close(); // removes what the stage name now holds: the old generation after an exchange
  }

  /** Removes the staging (uncommitted: the unfinished output; committed: the old generation). */
  @Override
  public void close() throws IOException {
    synchronized (LOCK) {
      if (!committed) {
        abandoned = true;
      }
      PENDING.remove(this);
      if (!direct) {
        deleteTree(stage);
      }
    }
  }

  /**
   * Abandons every output in progress, removing its staging; for a shutdown hook. Returns the
   * targets that were being written and are left as they were.
   */
  public static List<Path> abandonAll() {
    List<Path> left = new ArrayList<>();
    synchronized (LOCK) {
      for (OutputSet o : PENDING) {
        if (!o.committed) {
          o.abandoned = true;
          left.add(o.shown);
        }
        try {
          if (!o.direct) {
            deleteTree(o.stage);
          }
        } catch (IOException e) {
          // best effort while the process ends
        }
      }
      PENDING.clear();
    }
    return left;
  }

  private void publishFile() throws IOException {
    if (force) {
      Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    try {
      Files.createLink(target, stage); // link(2) fails with EEXIST instead of replacing
    } catch (FileAlreadyExistsException e) {
      throw new OutputException(OutputException.Kind.EXISTS, shown.toString(), "exists; nothing was written", null);
    } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new OutputException(OutputException.Kind.EXISTS, shown.toString(), "exists; nothing was written", null);
      }
      Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE); // no hard links here: check, then rename
    }
  }

  private void publishDirectory() throws IOException {
    boolean occupied = false;
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      checkContents(shown, target, names, force); // again: something may have appeared since
      try (Stream<Path> s = Files.list(target)) {
        occupied = s.findAny().isPresent();
      }
    }
    if (!occupied) {
      Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE); // rename(2) replaces an empty directory
      return;
    }
    int errno = DirectoryExchange.exchange(stage, target);
    if (errno == 0) {
      return; // the stage name now holds the old generation; close() removes it
    }
    if (errno != EINVAL && errno != ENOSYS && errno != -1) {
      throw new OutputException(OutputException.Kind.FAILED, shown.toString(),
          "cannot be replaced as a whole (renameat2: " + errnoText(errno) + "); nothing was changed", null);
    }
    // No RENAME_EXCHANGE on this file system: two renames, with a moment in which the name is
    // missing (never a mixed set); a failure of the second puts the old set back.
    Path aside = stageName(target.getParent(), target, "old");
    Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
    try {
      Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
      throw e;
    }
    Files.move(aside, stage, StandardCopyOption.ATOMIC_MOVE);
  }

  /** What renameat2's {@code errno} means (asm-generic/errno-base.h), for the one line that reports it. */
  static String errnoText(int errno) {
    return switch (errno) {
      case 1 -> "Operation not permitted";
      case 13 -> "Permission denied";
      case 16 -> "Device or resource busy: a mount point cannot be renamed";
      case 18 -> "Invalid cross-device link";
      case 28 -> "No space left on device";
      case 30 -> "Read-only file system";
      default -> "errno " + errno;
    };
  }

  /** The reason of {@code e}, naming the file it concerns unless that is the target or its staging. */
  private static String reason(IOException e, Path target) {
    if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
      Path p = Path.of(f.getFile()).toAbsolutePath().normalize();
      String name = p.getFileName() == null ? "" : p.getFileName().toString();
      if (!p.equals(target) && !name.startsWith("." + target.getFileName() + MARK)) {
        return f.getFile() + ": " + IoFailure.reason(e);
      }
    }
    return IoFailure.reason(e);
  }

  private static OutputSet register(OutputSet o) {
    synchronized (LOCK) {
      PENDING.add(o);
    }
    return o;
  }

  /** Absolute; an existing symlink is followed, so its target is replaced and the link kept. */
  private static Path resolve(Path p) {
    Path abs = p.toAbsolutePath().normalize();
    if (Files.isSymbolicLink(abs) && Files.exists(abs)) {
      try {
        return abs.toRealPath();
      } catch (IOException e) {
        return abs; // /dev/stdout -> /proc/self/fd/1 -> "pipe:[N]": no path, but writable in place
      }
    }
    return abs;
  }

  private static Path parentOf(Path shown, Path target) throws OutputException {
    if (target.getParent() == null) {
      throw new OutputException(OutputException.Kind.NOT_OURS, shown.toString(), "is a file system root; nothing was written", null);
    }
    return target.getParent();
  }

  private static void checkContents(Path shown, Path dir, List<String> names, boolean force) throws IOException {
    List<String> ours = new ArrayList<>();
    List<String> others = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        String n = p.getFileName().toString();
        (names.contains(n) ? ours : others).add(n);
      }
    }
    if (!others.isEmpty()) {
      others.sort(null);
      throw new OutputException(OutputException.Kind.NOT_OURS, shown.toString(),
          "holds files that are not part of the output (" + String.join(", ", others.subList(0, Math.min(3, others.size())))
              + (others.size() > 3 ? ", ..." : "") + "), which replacing it would delete; nothing was written", null);
    }
    if (!force && !ours.isEmpty()) {
      ours.sort(null);
      throw new OutputException(OutputException.Kind.EXISTS, shown.toString(),
          "holds an earlier output (" + String.join(", ", ours) + "); nothing was written", null);
    }
  }

  private static Path stageName(Path parent, Path target, String suffix) {
    return parent.resolve("." + target.getFileName() + MARK + ProcessHandle.current().pid() + "-"
        + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + "." + suffix);
  }

  /** Staging of {@code name} whose process is gone (killed with SIGKILL): removed. */
  private static void removeStale(Path parent, String name) {
    String prefix = "." + name + MARK;
    try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, p -> p.getFileName().toString().startsWith(prefix))) {
      for (Path p : s) {
        String rest = p.getFileName().toString().substring(prefix.length());
        int dash = rest.indexOf('-');
        if (dash <= 0 || !(rest.endsWith(".tmp") || rest.endsWith(".old"))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(rest.substring(0, dash));
        } catch (NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue; // another run writing the same target right now
        }
        deleteTree(p);
      }
    } catch (IOException e) {
      // stale staging is garbage, not a reason to refuse the output
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(p);
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
