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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * `transition --out DIR --force` replaces the set as a whole, whatever stops it. The CLI runs in
 * a child JVM on the test classpath, replacing an old set (a 1 GiB machine, seed 1) with the
 * sparse images of a 64 GiB machine (seed 2), and is stopped at moments chosen by watching its
 * staging directory: as it appears, when it holds pre.core, when it holds vmcore, and at fixed
 * delays. After SIGKILL, DIR must hold the whole old set or the whole new one (never a mix), and
 * the next run removes the staging the kill stranded. After SIGINT the child must exit 130 with
 * one line on stderr, leave no staging at all, and DIR must still hold a whole set.
 */
class KilledWriteTest {
  private static final List<String> IMAGES = List.of("System.map", "post.core", "pre.core", "vmcore");
  private static final int HEAD = 64 << 10;
  private static final int TAIL = 4 << 10;

  @TempDir static Path root;
  static Path oldSet;
  static Map<String, Fingerprint> oldPrints;
  static Map<String, Fingerprint> newPrints;

  record Fingerprint(long size, byte[] head, byte[] tail) {
    static Fingerprint of(Path file) throws IOException {
      try (FileChannel ch = FileChannel.open(file)) {
        long size = ch.size();
        return new Fingerprint(size, read(ch, 0, (int) Math.min(HEAD, size)), read(ch, Math.max(0, size - TAIL), (int) Math.min(TAIL, size)));
      }
    }

    boolean same(Fingerprint o) {
      return size == o.size && Arrays.equals(head, o.head) && Arrays.equals(tail, o.tail);
    }

    private static byte[] read(FileChannel ch, long at, int n) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(n);
      while (b.hasRemaining() && ch.read(b, at + b.position()) >= 0) {}
      return b.array();
    }
  }

  @BeforeAll
  static void writeBothGenerationsUninterrupted() throws Exception {
    oldSet = root.resolve("old");
    finish(start(oldSet, "1G", "1"), oldSet);
    oldPrints = prints(oldSet);
    Path fresh = root.resolve("new");
    finish(start(fresh, "64G", "2"), fresh);
    newPrints = prints(fresh);
    for (String name : IMAGES) {
      assertTrue(!oldPrints.get(name).same(newPrints.get(name)), name + ": the two generations must differ for the test to tell them apart");
    }
  }

  /** The catalogue's signal cases (testdata/hostile/catalogue.txt): a moment before the new set is put in place. */
  static Stream<HostileInputTest.Case> catalogue() throws IOException {
    return HostileInputTest.parse(Files.readAllLines(HostileInputTest.catalogueFile())).stream().filter(c -> c.run().startsWith("signal "));
  }

  /**
   * {@code run: signal INT|KILL STAGE: ARGS}: the child runs ARGS (DIR: a directory holding the
   * old set), is stopped at STAGE, and must exit with the catalogue's code, print its line (or
   * nothing), and leave what its {@code after:} says.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void aSignalBeforeTheSetIsPublishedLeavesTheOldSet(HostileInputTest.Case c) throws Exception {
    Matcher m = Pattern.compile("signal (INT|KILL) (.+?): (.+)").matcher(c.run());
    assertTrue(m.matches(), c.run());
    Moment moment = STAGES.get(m.group(2));
    assertTrue(moment != null, "no such stage: " + m.group(2));
    Path dir = oldSetCopy(c.name());
    Process p = start(dir, m.group(3).replace("DIR", dir.toString()).split(" +"));
    moment.await(p, dir);
    assertTrue(p.isAlive(), c.name() + ": finished before " + m.group(2));
    if (m.group(1).equals("KILL")) {
      p.destroyForcibly();
    } else {
      assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), c.name() + ": still running");
    assertEquals(c.exit(), p.exitValue(), c.name());
    String line = c.expected().replace("DIR", dir.toString());
    assertEquals(line.equals("(empty)") ? List.of() : List.of(line), Files.readAllLines(err(dir)), c.name() + ": stderr");
    assertTrue(assertWholeSet(dir, c.name(), false), c.name() + ": the old set");
    switch (c.after()) {
      case "the earlier set, whole; no temporary files" -> assertEquals(List.of(), siblings(dir), c.name() + ": no temporary files");
      case "the earlier set, whole; the next run removes the staging the kill left" -> {
        for (String n : siblings(dir)) {
          assertTrue(n.startsWith("." + dir.getFileName() + ".kexec-sim-" + p.pid() + "-") && n.endsWith(".tmp"), c.name() + ": unexpected " + n);
        }
        finish(start(dir, "64G", "2"), dir);
        assertEquals(List.of(), siblings(dir), "the next run removes the staging of the killed one");
        assertWholeSet(dir, "rerun after " + c.name(), true);
      }
      default -> throw new AssertionError("after: '" + c.after() + "' is not a condition KilledWriteTest knows");
    }
  }

  /** The stages a catalogue case names, each certainly before the new set is published. */
  private static final Map<String, Moment> STAGES = Map.of(
      "as the staging directory appears", new Moment("as the staging directory appears", s -> s != null, 0, true),
      "while pre.core is written", new Moment("while pre.core is written", s -> s != null && s.contains("pre.core"), 0, true),
      "while post.core is written", new Moment("while post.core is written", s -> s != null && s.contains("post.core"), 0, true));

  @Test
  void sigkillAtAnyMomentLeavesAWholeSetAndTheNextRunRemovesTheStaging() throws Exception {
    for (Moment m : moments()) {
      Path dir = oldSetCopy("killed");
      Process p = start(dir, "64G", "2");
      m.await(p, dir);
      p.destroyForcibly(); // SIGKILL
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertWholeSet(dir, "SIGKILL " + m.name(), false);
      for (String n : siblings(dir)) {
        assertTrue(n.startsWith("." + dir.getFileName() + ".kexec-sim-" + p.pid() + "-") && n.endsWith(".tmp"),
            () -> "SIGKILL " + m.name() + ": unexpected " + n + " beside " + dir);
      }
      finish(start(dir, "64G", "2"), dir);
      assertEquals(List.of(), siblings(dir), "the next run removes the staging of the killed one");
      assertWholeSet(dir, "rerun after SIGKILL " + m.name(), true);
    }
  }

  @Test
  void sigintAtAnyMomentExits130WithOneLineAndLeavesNoTemporaryFiles() throws Exception {
    for (Moment m : moments()) {
      Path dir = oldSetCopy("interrupted");
      Process p = start(dir, "64G", "2");
      m.await(p, dir);
      boolean beforePublish = m.beforePublish() && p.isAlive();
      // kill(1) fails only when the process is gone: it finished between the moment and the signal
      boolean delivered = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor() == 0;
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "SIGINT " + m.name() + ": still running");
      if (!delivered) {
        assertEquals(0, p.exitValue(), "SIGINT " + m.name() + ": gone before the signal, so it must have finished");
        continue;
      }
      if (!beforePublish && p.exitValue() == 0) {
        continue; // it finished before the signal arrived: the new set, checked below
      }
      assertEquals(Main.SIGINT, p.exitValue(), "SIGINT " + m.name());
      List<String> stderr = Files.readAllLines(err(dir));
      assertEquals(1, stderr.size(), () -> "SIGINT " + m.name() + ": one line on stderr, got " + stderr);
      assertTrue(stderr.getFirst().startsWith("kexec-sim: interrupted"), stderr.getFirst());
      assertEquals(List.of(), siblings(dir), "SIGINT " + m.name() + ": no temporary files");
      boolean old = assertWholeSet(dir, "SIGINT " + m.name(), false);
      if (beforePublish) {
        assertTrue(old, "SIGINT " + m.name() + ": interrupted while writing, the old set must remain");
        assertEquals("kexec-sim: interrupted; the unfinished output was removed and " + dir + " left as it was", stderr.getFirst());
      }
    }
  }

  /** A moment to stop the child at; {@code beforePublish}: certainly before the new set is put in place. */
  record Moment(String name, Predicate<List<String>> staged, long millis, boolean beforePublish) {
    void await(Process p, Path dir) {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis == 0 ? 60_000 : millis);
      while (p.isAlive() && System.nanoTime() < deadline && !staged.test(stagedNames(dir))) {
        Thread.onSpinWait();
      }
    }
  }

  /** The moments whose outcome depends on timing (old set or new): the catalogue lists those before publishing. */
  private static List<Moment> moments() {
    return List.of(
        new Moment("while vmcore is written", s -> s != null && s.contains("vmcore"), 0, false),
        new Moment("700 ms after start", s -> false, 700, false),
        new Moment("1700 ms after start", s -> false, 1700, false));
  }

  /** Asserts DIR holds exactly one whole generation; true when it is the old one. */
  private static boolean assertWholeSet(Path dir, String when, boolean mustBeNew) throws IOException {
    assertEquals(IMAGES, names(dir), when + ": the set's files, nothing more or less");
    Map<String, Fingerprint> got = prints(dir);
    boolean allOld = IMAGES.stream().allMatch(n -> got.get(n).same(oldPrints.get(n)));
    boolean allNew = IMAGES.stream().allMatch(n -> got.get(n).same(newPrints.get(n)));
    assertTrue(allOld || allNew, when + ": a mix of generations or a partial file");
    assertTrue(!mustBeNew || allNew, when + ": the new set");
    return allOld;
  }

  /** A directory holding the old set, as hard links (the swap replaces directories, never edits files). */
  private static Path oldSetCopy(String prefix) throws IOException {
    Path dir = Files.createDirectories(root.resolve(prefix + "-" + System.nanoTime()).resolve("out"));
    for (String name : IMAGES) {
      Files.createLink(dir.resolve(name), oldSet.resolve(name));
    }
    return dir;
  }

  private static Map<String, Fingerprint> prints(Path dir) throws IOException {
    Map<String, Fingerprint> m = new TreeMap<>();
    for (String name : IMAGES) {
      m.put(name, Fingerprint.of(dir.resolve(name)));
    }
    return m;
  }

  /** The names in the child's staging directory beside DIR, or null while there is none. */
  private static List<String> stagedNames(Path dir) {
    for (String s : siblings(dir)) {
      if (s.endsWith(".tmp")) {
        return names(dir.resolveSibling(s));
      }
    }
    return null;
  }

  /** Entries beside DIR other than DIR and the child's logs. */
  private static List<String> siblings(Path dir) {
    String own = dir.getFileName().toString();
    return names(dir.getParent()).stream().filter(n -> !n.equals(own) && !n.startsWith(own + ".std")).toList();
  }

  private static List<String> names(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      return List.of(); // gone (renamed) meanwhile
    }
  }

  private static void finish(Process p, Path dir) throws Exception {
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "an uninterrupted run did not finish");
    assertEquals(0, p.exitValue(), () -> {
      try {
        return Files.readString(err(dir));
      } catch (IOException e) {
        return e.toString();
      }
    });
  }

  private static Process start(Path dir, String ram, String seed) throws IOException {
    return start(dir, "transition", "--arch", "x86_64", "--design", "mainline", "--ram", ram, "--seed", seed, "--force", "--out", dir.toString());
  }

  private static Process start(Path dir, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectOutput(dir.resolveSibling(dir.getFileName() + ".stdout").toFile())
        .redirectError(err(dir).toFile()).start();
  }

  private static Path err(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".stderr");
  }
}
