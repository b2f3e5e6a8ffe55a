package org.kexecsim.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextFileTest {
  @TempDir Path dir;

  @Test
  void utf8TextIsReadWhole() throws IOException {
    Path f = Files.writeString(dir.resolve("a.s"), "nop # \u00e9t\u00e9 \u2013 ok\n");
    assertEquals("nop # \u00e9t\u00e9 \u2013 ok\n", TextFile.read(f));
  }

  @Test
  void theFirstMalformedByteIsNamedByLineAndOffset() {
    // line 3 starts at offset 8; 0xe2 0x28 is a 3-byte lead followed by ASCII: malformed at 0xa
    byte[] b = "a\nbcdef\nxy".getBytes(StandardCharsets.US_ASCII);
    byte[] bad = java.util.Arrays.copyOf(b, b.length + 3);
    bad[b.length] = (byte) 0xe2;
    bad[b.length + 1] = '(';
    bad[b.length + 2] = '\n';
    TextFile.NotUtf8 e = assertThrows(TextFile.NotUtf8.class, () -> TextFile.decode(bad));
    assertEquals("byte 0xe2 on line 3, offset 0xa", e.getMessage());
    TextFile.NotUtf8 cut = assertThrows(TextFile.NotUtf8.class, () -> TextFile.decode(new byte[] {'a', (byte) 0xe2, (byte) 0x82}));
    assertEquals("byte 0xe2 on line 1, offset 0x1", cut.getMessage(), "a sequence cut off by the end of the file starts where it is named");
  }

  @Test
  void specialAndHugeFilesAreRefusedBeforeReading() throws IOException {
    assertEquals("/dev/zero: not a regular file", assertThrows(FileSystemException.class, () -> TextFile.read(Path.of("/dev/zero"))).getMessage());
    assertThrows(NoSuchFileException.class, () -> TextFile.read(dir.resolve("none")));
    Path big = dir.resolve("big.s");
    try (var ch = java.nio.channels.FileChannel.open(big, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}), TextFile.MAX_BYTES); // sparse: one byte past the limit
    }
    assertEquals(big + ": " + (TextFile.MAX_BYTES + 1) + " bytes, more than the 64 MiB a text file read whole may have",
        assertThrows(FileSystemException.class, () -> TextFile.read(big)).getMessage());
  }
}
