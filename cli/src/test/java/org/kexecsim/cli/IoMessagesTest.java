package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 item 3: every I/O failure is one line naming the path and the reason (Java's own
 * messages give the path alone, or the reason alone), and an output to a device or FIFO is
 * written in place, never replaced by a regular file.
 */
class IoMessagesTest {
  @TempDir Path dir;

  private static void assertLine(CliRun r, int code, String line) {
    assertEquals(code, r.exitCode(), r.err());
    assertEquals("kexec-sim: " + line + "\n", r.err());
  }

  @Test
  void aMissingFileIsNamedWithItsReason() {
    Path nope = dir.resolve("nope");
    assertLine(CliRun.of("vtop", nope.toString(), "0x1000"), 4, nope + ": no such file or directory");
    assertLine(CliRun.of("asm", "--bits", "64", nope + ".s"), 4, nope + ".s: no such file or directory");
    assertLine(CliRun.of("checksum", "--verify", nope.toString(), nope.toString()), 4, nope + ": no such file or directory");
    assertLine(CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--routine", nope + ".S"), 4,
        nope + ".S: no such file or directory");
  }

  @Test
  void aDirectoryWhereAFileIsNeededSaysSo() {
    assertLine(CliRun.of("asm", "--bits", "64", dir.toString()), 4, dir + ": not a regular file");
  }

  @Test
  void sourceThatIsNotUtf8IsBadInputNamingTheFile() throws Exception {
    Path bad = Files.write(dir.resolve("bad.s"), new byte[] {'.', 'b', 'y', 't', 'e', ' ', '1', ' ', '#', ' ', (byte) 0xff, '\n'});
    assertLine(CliRun.of("asm", "--bits", "64", bad.toString()), 3, bad + ": not valid UTF-8 text: byte 0xff on line 1, offset 0xa");
  }

  @Test
  void aFullDeviceIsNamedWithTheReasonAndStaysADevice() throws Exception {
    Path src = Files.writeString(dir.resolve("a.s"), ".quad 1\n");
    Path full = Path.of("/dev/full");
    assertTrue(Files.exists(full) && !Files.isRegularFile(full), "the test needs /dev/full");
    assertLine(CliRun.of("asm", "--bits", "64", src.toString(), "-o", full.toString()), 4,
        "/dev/full: cannot write: No space left on device; nothing was changed");
    assertTrue(!Files.isRegularFile(full), "/dev/full was replaced by a regular file");
    CliRun devNull = CliRun.of("asm", "--bits", "64", src.toString(), "-o", "/dev/null");
    assertEquals(0, devNull.exitCode(), devNull.err());
    assertTrue(!Files.isRegularFile(Path.of("/dev/null")), "/dev/null was replaced by a regular file");
  }

  @Test
  void anOutputUnderAFileNamesBoth() throws Exception {
    Path file = Files.writeString(dir.resolve("plain"), "x");
    Path src = Files.writeString(dir.resolve("a.s"), ".quad 1\n");
    assertLine(CliRun.of("asm", "--bits", "64", src.toString(), "-o", file.resolve("x.bin").toString()), 4,
        file.resolve("x.bin") + ": cannot be written: " + file + ": already exists (a file where a directory is needed?); nothing was written");
    assertLine(CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--out", file.toString()), 4,
        file + ": exists and is not a directory; nothing was written");
    assertEquals("x", Files.readString(file));
  }
}
