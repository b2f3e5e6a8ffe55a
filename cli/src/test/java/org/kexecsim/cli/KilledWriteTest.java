package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output files are published atomically: a `transition --out DIR` killed with SIGKILL at any
 * moment leaves under the final names (pre.core, post.core, vmcore) only complete files or
 * none. The CLI runs in a child JVM on the test classpath, writing the sparse images of a 64 GiB
 * machine; it is killed the moment a file appears (the start of a write, where a non-atomic
 * writer's file is shortest) and at fixed delays, and each surviving file must match, in size,
 * headers and tail, the one an uninterrupted run writes.
 */
class KilledWriteTest {
  private static final List<String> IMAGES = List.of("pre.core", "post.core", "vmcore", "System.map");
  private static final int HEAD = 64 << 10;
  private static final int TAIL = 4 << 10;

  @TempDir static Path root;
  static Map<String, Fingerprint> complete;

  record Fingerprint(long size, byte[] head, byte[] tail) {
    static Fingerprint of(Path file) throws IOException {
      try (FileChannel ch = FileChannel.open(file)) {
        long size = ch.size();
        return new Fingerprint(size, read(ch, 0, (int) Math.min(HEAD, size)), read(ch, Math.max(0, size - TAIL), (int) Math.min(TAIL, size)));
      }
    }

    private static byte[] read(FileChannel ch, long at, int n) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(n);
      while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {}
      return b.array();
    }
  }

  @BeforeAll
  static void writeOnceUninterrupted() throws Exception {
    Path dir = root.resolve("complete");
    Process p = start(dir);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the uninterrupted run did not finish");
    assertEquals(0, p.exitValue(), () -> {
      try {
        return Files.readString(log(dir));
      } catch (IOException e) {
        return e.toString();
      }
    });
    complete = new TreeMap<>();
    for (String name : IMAGES) {
      complete.put(name, Fingerprint.of(dir.resolve(name)));
    }
  }

  @Test
  void killedWhenAnyFileAppearsLeavesOnlyCompleteImages() throws Exception {
    for (String name : List.of("pre.core", "post.core", "vmcore")) {
      killAndCheck("as the first " + name + " file appears", f -> f.contains(name), 0);
    }
  }

  @Test
  void killedAtFixedMomentsLeavesOnlyCompleteImages() throws Exception {
    for (long millis : new long[] {200, 700, 1200, 1700}) {
      killAndCheck(millis + " ms after start", f -> false, millis);
    }
  }

  /** Starts the CLI, kills it when a file name in DIR matches {@code when} or after {@code millis}, then checks DIR. */
  private static void killAndCheck(String moment, Predicate<String> when, long millis) throws Exception {
    Path dir = root.resolve("killed-" + System.nanoTime());
    Process p = start(dir);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis == 0 ? 60_000 : millis);
    while (p.isAlive() && System.nanoTime() < deadline && !names(dir).stream().anyMatch(when)) {
      Thread.onSpinWait();
    }
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    for (String name : names(dir)) {
      if (IMAGES.contains(name)) {
        Fingerprint f = Fingerprint.of(dir.resolve(name));
        Fingerprint want = complete.get(name);
        assertEquals(want.size(), f.size(), () -> name + " killed " + moment + ": partial file under the final name");
        assertArrayEquals(want.head(), f.head(), () -> name + " killed " + moment + ": headers differ");
        assertArrayEquals(want.tail(), f.tail(), () -> name + " killed " + moment + ": tail differs");
      } else {
        // a temp file the kill stranded: never under a final name
        assertTrue(name.startsWith(".") && name.endsWith(".tmp"), () -> "unexpected file " + name + " killed " + moment);
      }
    }
  }

  private static List<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    } catch (IOException e) {
      return List.of(); // not created yet
    }
  }

  private static Process start(Path dir) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(),
        "transition", "--arch", "x86_64", "--design", "mainline", "--ram", "64G", "--out", dir.toString()));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(dir).toFile()).start();
  }

  private static Path log(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".log");
  }
}
