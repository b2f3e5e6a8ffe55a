package org.kexecsim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The training run of the AOT cache (cli/pom.xml, JEP 483/514): the classes it loads and links,
 * and the profiles of what it runs, are what every later run starts with. One JVM runs the
 * headline ({@code demo}) and a {@code diff} of two small raw images, identical and then one
 * page apart, so that a diff starts from the cache too (before, its analyzer, symbol and report
 * classes came from the jar each time), and a {@code checksum} of one with SHA-256 and with
 * BLAKE3. The same run trains the second cache, recorded with the incubating Vector API module
 * the launcher adds for blake3 runs without BLAKE3's C library (the JVM refuses a cache whose
 * --add-modules differ: "Mismatched values for property jdk.module.addmods"), with
 * {@code -Dkexecsim.blake3.native=false} so that its BLAKE3 checksum trains the Java path those
 * runs take. Takes no arguments. Exits non-zero when a run does not end as it should,
 * which fails the build.
 */
final class AotTraining {
  private AotTraining() {}

  public static void main(String[] args) throws IOException {
    expect(0, "demo", "--json");
    Path dir = Files.createTempDirectory("kexec-sim-aot");
    try {
      byte[] bytes = new byte[64 << 10];
      new Random(1).nextBytes(bytes);
      Path a = Files.write(dir.resolve("a.img"), bytes);
      Path b = Files.write(dir.resolve("b.img"), bytes);
      expect(0, "diff", "--format", "raw", "--ram-map", "0+64K", a.toString(), b.toString());
      bytes[5 * 4096 + 7] ^= 1;
      Files.write(b, bytes);
      expect(1, "diff", "--format", "raw", "--ram-map", "0+64K", a.toString(), b.toString());
      expect(1, "diff", "--json", "--format", "raw", "--ram-map", "0+64K", a.toString(), b.toString());
      // both image digests: blake3 runs take the normal cache too when BLAKE3's C library is there
      expect(0, "checksum", "--format", "raw", "--ram-map", "0+64K", a.toString());
      expect(0, "checksum", "--algo", "blake3", "--format", "raw", "--ram-map", "0+64K", a.toString());
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  private static void expect(int code, String... args) {
    PrintWriter none = new PrintWriter(Writer.nullWriter());
    int got = Main.execute(args, none, none);
    if (got != code) {
      System.err.println("AotTraining: kexec-sim " + String.join(" ", args) + " exited " + got + ", expected " + code);
      System.exit(1);
    }
  }
}
