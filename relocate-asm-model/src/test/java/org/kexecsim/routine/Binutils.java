package org.kexecsim.routine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** GNU as, ld, nm and objcopy: they build the ELF files the tests read, and say what is in them. */
final class Binutils {
  private Binutils() {}

  static boolean available() {
    for (String tool : List.of("as", "ld", "nm", "objcopy", "gcc")) {
      try {
        run(Path.of("."), tool, "--version");
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  /** Runs a tool in {@code dir}; its stdout, or an exception with its diagnostics. */
  static String run(Path dir, String... cmd) throws IOException {
    Path out = Files.createTempFile("binutils", ".out");
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(out.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      String text = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed:\n" + text);
      }
      return text;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** nm's value of {@code symbol} in {@code file}. */
  static long symbol(Path file, String symbol) throws IOException {
    for (String line : run(file.getParent(), "nm", file.toString()).split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 3 && f[2].equals(symbol)) {
        return Long.parseUnsignedLong(f[0], 16);
      }
    }
    throw new IOException(symbol + " not in nm " + file);
  }
}
