package org.kexecsim.dump;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.kexecsim.dump.kdump.FlattenedStream;
import org.kexecsim.dump.kdump.KdumpReader;
import org.kexecsim.memory.RamMap;

/**
 * Opens a dump by what its first bytes say it is: an ELF core ({@code \x7fELF}), a
 * kdump-compressed file ({@code "KDUMP   "}), a flattened stream ({@code "makedumpfile"}), or
 * the parts of a split dump. A raw memory image has no magic, so it is read only when the caller
 * says so: anything unrecognized is refused rather than read as memory, because compressed bytes
 * read as memory give confident wrong answers.
 */
public final class DumpFiles {
  private DumpFiles() {}

  /** What sniffing tried, for the refusal message. */
  public static final String TRIED = "ELF core (\\x7fELF), kdump-compressed (\"KDUMP   \"), flattened (\"makedumpfile\")";

  /**
   * Refuses, before opening it, a file that is not a regular file or a block device: opening a
   * FIFO with no writer blocks forever, and a directory or socket has no bytes to read. The type
   * is the st_mode S_IFMT field (POSIX sys/stat.h: S_IFREG 0100000, S_IFBLK 0060000).
   */
  static void requireReadableKind(Path path) throws IOException {
    int mode;
    try {
      mode = (Integer) java.nio.file.Files.getAttribute(path, "unix:mode");
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return; // no POSIX modes here: opening will tell
    }
    String kind = switch (mode & 0170000) {
      case 0100000, 0060000 -> null;
      case 0010000 -> "a FIFO";
      case 0040000 -> "a directory";
      case 0140000 -> "a socket";
      case 0020000 -> "a character device";
      default -> "not a regular file";
    };
    if (kind != null) {
      throw MalformedDumpException.ofFile(path.toString(),
          "is " + kind + "; a dump is read from a regular file or a block device");
    }
  }

  /** The format {@code path}'s first bytes announce, if any (split parts read as KDUMP_COMPRESSED). */
  public static Optional<DumpFormat> sniff(Path path) throws IOException {
    byte[] head = new byte[16];
    int n;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.wrap(head);
      while (b.hasRemaining() && ch.read(b) > 0) {
        // fill what the file has
      }
      n = b.position();
    } catch (IOException e) {
      throw org.kexecsim.files.IoFailure.at(path, e);
    }
    byte[] got = java.util.Arrays.copyOf(head, n);
    if (n >= 4 && got[0] == 0x7f && got[1] == 'E' && got[2] == 'L' && got[3] == 'F') {
      return Optional.of(DumpFormat.ELF);
    }
    if (KdumpReader.isKdump(got)) {
      return Optional.of(DumpFormat.KDUMP_COMPRESSED);
    }
    if (FlattenedStream.matches(got)) {
      return Optional.of(DumpFormat.FLATTENED);
    }
    return Optional.empty();
  }

  /**
   * Opens {@code files} (several only for a split dump) as {@code format}, or as their magic says
   * when {@code format} is empty. {@code rawRamMap} is the RAM of a raw image (null: the whole file).
   */
  public static Dump open(List<Path> files, Optional<DumpFormat> format, RamMap rawRamMap) throws IOException {
    for (Path p : files) {
      requireReadableKind(p);
    }
    Path first = files.getFirst();
    DumpFormat f = format.isPresent() ? format.get() : sniff(first).orElseThrow(() -> new MalformedDumpException(
        first.toString(), 0, "not a dump format this tool recognizes (tried " + TRIED
            + "); a raw memory image is read only with --format raw"));
    if (files.size() > 1 && (f == DumpFormat.ELF || f == DumpFormat.RAW)) {
      throw new MalformedDumpException(files.get(1).toString(), 0,
          "several files name one dump only for a makedumpfile --split dump, and " + first + " is " + f.cliName());
    }
    return switch (f) {
      case ELF -> ElfCoreReader.open(first);
      case KDUMP_COMPRESSED, FLATTENED, SPLIT -> KdumpReader.open(files);
      case RAW -> rawRamMap == null ? RawImage.open(first) : RawImage.open(first, rawRamMap);
    };
  }
}
