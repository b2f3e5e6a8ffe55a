package org.kexecsim.isa;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs GNU as and objcopy on this machine: the reference the assembler is checked against. */
final class GnuAs {
  private GnuAs() {}

  static boolean available() {
    try {
      return run(Path.of("."), "as", "--version") && run(Path.of("."), "objcopy", "--version");
    } catch (IOException e) {
      return false;
    }
  }

  /** The .text bytes GNU as produces for {@code source}; throws with its diagnostics if it rejects it. */
  static byte[] assemble(String source, int bits) throws IOException {
    return assemble(source, bits, java.util.Map.of(), false);
  }

  /**
   * As {@link #assemble(String, int)}, with {@code beside} (name to text) next to the source for
   * .include, and linked at 0 by ld: an absolute address of a label is then in the bytes (an
   * x86_64 object leaves it 0 there, its addend in the RELA entry).
   */
  static byte[] assembleLinked(String source, int bits, java.util.Map<String, String> beside) throws IOException {
    return assemble(source, bits, beside, true);
  }

  private static byte[] assemble(String source, int bits, java.util.Map<String, String> beside, boolean link)
      throws IOException {
    Path dir = Files.createTempDirectory("gas-oracle");
    try {
      for (var f : beside.entrySet()) {
        Files.writeString(dir.resolve(f.getKey()), f.getValue());
      }
      Files.writeString(dir.resolve("in.S"), source);
      Path log = dir.resolve("log");
      ProcessBuilder pb = new ProcessBuilder("as", "--" + bits, "-o", "out.o", "in.S")
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
      if (!waitFor(pb)) {
        throw new IOException("GNU as rejected the source:\n" + Files.readString(log));
      }
      String object = "out.o";
      if (link) {
        if (!run(dir, "ld", "-m", bits == 64 ? "elf_x86_64" : "elf_i386", "-Ttext=0", "-e", "0", "-o", "out.elf", "out.o")) {
          throw new IOException("ld failed");
        }
        object = "out.elf";
      }
      if (!run(dir, "objcopy", "-O", "binary", "-j", ".text", object, "out.bin")) {
        throw new IOException("objcopy failed");
      }
      return Files.readAllBytes(dir.resolve("out.bin"));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** What GNU as prints for {@code source} (its warnings and errors), and whether it assembled it. */
  record Diagnostics(boolean assembled, String messages) {}

  static Diagnostics diagnose(String source, int bits) throws IOException {
    Path dir = Files.createTempDirectory("gas-oracle");
    try {
      Files.writeString(dir.resolve("in.S"), source);
      Path log = dir.resolve("log");
      boolean ok = waitFor(new ProcessBuilder("as", "--" + bits, "-o", "out.o", "in.S")
          .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()));
      return new Diagnostics(ok, Files.readString(log));
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static boolean run(Path dir, String... cmd) throws IOException {
    return waitFor(new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD));
  }

  private static boolean waitFor(ProcessBuilder pb) throws IOException {
    Process p = pb.start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
