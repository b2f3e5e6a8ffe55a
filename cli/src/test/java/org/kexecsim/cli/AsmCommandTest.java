package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsmCommandTest {
  @TempDir Path dir;

  @Test
  void writesTheImageAndListsSymbols() throws Exception {
    Path src = dir.resolve("zap.S");
    Files.writeString(src, "start:\n\tpushq $0\n\tlidt (%rsp)\nend:\thlt\n");
    Path bin = dir.resolve("zap.bin");
    CliRun r = CliRun.of("asm", src.toString(), "--bits", "64", "-o", bin.toString(), "--listing");
    assertEquals(0, r.exitCode(), r.err());
    assertArrayEquals(new byte[] {0x6A, 0, 0x0F, 0x01, 0x1C, 0x24, (byte) 0xF4}, Files.readAllBytes(bin));
    assertTrue(r.out().contains("0f 01 1c 24"), r.out());
    assertTrue(r.out().contains("0000000000000006  end"), r.out());
  }

  @Test
  void badSourceExitsThreeNamingFileLineColumn() throws Exception {
    Path src = dir.resolve("bad.S");
    Files.writeString(src, "nop\n  jmp nowhere\n");
    CliRun r = CliRun.of("asm", src.toString(), "--bits", "64");
    assertEquals(3, r.exitCode());
    assertEquals("kexec-sim: " + src + ":2:7: undefined symbol nowhere", r.err().strip());
  }

  @Test
  void usageAndIoErrors() {
    assertEquals(2, CliRun.of("asm", "x.S", "--bits", "16").exitCode());
    assertEquals(4, CliRun.of("asm", dir.resolve("missing.S").toString(), "--bits", "32").exitCode());
  }
}
