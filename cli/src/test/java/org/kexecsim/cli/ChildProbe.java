package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A probe run in a child JVM on the test's class path: for what could kill a JVM (SIGBUS from a
 * native or vector load of a truncated mapping), which must not take the test JVM with it.
 */
record ChildProbe(int exit, String out, String err) {
  /** Runs {@code main} with the launcher's JVM flags plus {@code jvmArgs}; files under {@code dir} named by {@code tag}. */
  static ChildProbe run(Path dir, String tag, List<String> jvmArgs, Class<?> main, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-XX:+UseParallelGC",
        "-XX:ErrorFile=" + dir.resolve(tag + ".hs_err.log")));
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    Path out = dir.resolve(tag + ".out");
    Path err = dir.resolve(tag + ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      fail("the probe did not end in 300 s: " + Files.readString(err));
    }
    return new ChildProbe(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A new file of {@code size} random bytes (a whole number of MiB) from {@code seed}. */
  static void writeRandom(Path f, long size, long seed) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      byte[] block = new byte[1 << 20];
      Random r = new Random(seed);
      for (long off = 0; off < size; off += block.length) {
        r.nextBytes(block);
        ch.write(ByteBuffer.wrap(block), off);
      }
    }
  }
}
