package org.kexecsim.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The one reader of a whole text file the user names (an assembler source, a routine, a machine
 * description): a regular file only, since /dev/zero or a FIFO would never end; of a bounded
 * size, since the file is held in memory; UTF-8, and where it is not, the line and byte offset.
 * A failure is an IOException naming the file; bad UTF-8 is a {@link CharacterCodingException}
 * (bad input, not I/O).
 */
public final class TextFile {
  /** The largest text read whole: far beyond any source or description, far below the heap. */
  public static final long MAX_BYTES = 64L << 20;

  private TextFile() {}

  public static String read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw Files.exists(file) ? new FileSystemException(file.toString(), null, "not a regular file")
          : new NoSuchFileException(file.toString());
    }
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new FileSystemException(file.toString(), null, String.format(
          "%d bytes, more than the %d MiB a text file read whole may have", size, MAX_BYTES >> 20));
    }
    byte[] bytes;
    try (var in = Files.newInputStream(file)) {
      // st_size is only a hint (procfs says 0, a file can grow meanwhile): the read is bounded too
      bytes = in.readNBytes((int) MAX_BYTES + 1);
    } catch (IOException e) {
      throw IoFailure.at(file, e);
    }
    if (bytes.length > MAX_BYTES) {
      throw new FileSystemException(file.toString(), null, String.format(
          "more than the %d MiB a text file read whole may have", MAX_BYTES >> 20));
    }
    return decode(bytes);
  }

  /** {@code bytes} as UTF-8; the first malformed sequence is named by line and offset. */
  static String decode(byte[] bytes) throws NotUtf8 {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = d.decode(in, out, true);
    if (!r.isError()) {
      r = d.flush(out);
    }
    if (r.isError()) {
      int at = in.position();
      int line = 1;
      for (int i = 0; i < at; i++) {
        line += bytes[i] == '\n' ? 1 : 0;
      }
      throw new NotUtf8(line, at, bytes[Math.min(at, bytes.length - 1)] & 0xff);
    }
    return out.flip().toString();
  }

  /** Bytes that are not UTF-8, where. */
  public static final class NotUtf8 extends CharacterCodingException {
    private final String where;

    NotUtf8(int line, long offset, int firstByte) {
      this.where = String.format("byte 0x%02x on line %d, offset 0x%x", firstByte, line, offset);
    }

    @Override
    public String getMessage() {
      return where;
    }
  }
}
