package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.MalformedDumpException;
import org.kexecsim.kimage.CorruptIndirectionListException;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.dump.RawImage;

/**
 * Every hostile input of testdata/hostile/catalogue.txt, through the CLI in-process: the exit
 * code and the one line on stderr (naming the file, the offset and the problem) are exactly the
 * catalogue's; a legal-but-strange input gives the catalogue's line of stdout; an {@code after:}
 * condition is checked on the files. The signal cases run in KilledWriteTest.
 */
class HostileInputTest {

  /** {@code stream} is stderr or stdout for a CLI run, error for a library call ({@code run: api ...}). */
  /** {@code line}: which line of stdout {@code expected} is (1 unless the catalogue says {@code line: N}). */
  record Case(String name, String run, int exit, String stream, String expected, String after, int line) {
    @Override
    public String toString() {
      return name;
    }
  }

  @TempDir Path dir;

  /** The cases run here: all but the signal cases, which KilledWriteTest runs in a child JVM. */
  static Stream<Case> catalogue() throws IOException {
    return parse(Files.readAllLines(catalogueFile())).stream().filter(c -> !c.run().startsWith("signal "));
  }

  @AfterEach
  void unmountAndUnlock() throws Exception {
    while (!HostileInputs.MOUNTS.isEmpty()) {
      Path m = HostileInputs.MOUNTS.pop();
      assertEquals(0, new ProcessBuilder("umount", m.toString()).inheritIO().start().waitFor(), "umount " + m);
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.filter(Files::isDirectory).toList()) {
        p.toFile().setWritable(true, true); // a read-only directory of a case, so that @TempDir can delete it
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void givesTheCataloguesExitCodeAndOneLine(Case c) throws Exception {
    HostileInputs.Maker maker = HostileInputs.CASES.get(c.name());
    assertNotNull(maker, "no generator for " + c.name());
    Path file = dir.resolve(c.name());
    maker.write(file);
    String[] args = c.run().replace("FILE", file.toString()).split(" +");
    if (args[0].equals("api")) {
      assertEquals(c.expected().replace("FILE", file.toString()), libraryError(args));
      return;
    }
    Map<String, String> before = snapshot(dir);
    CliRun r = HostileInputs.WITHOUT_DAC_OVERRIDE.remove(file) && "root".equals(System.getProperty("user.name"))
        ? runWithoutDacOverride(args) : run(args);
    String expected = c.expected().replace("FILE", file.toString());
    assertEquals(c.exit(), r.exitCode(), () -> "stderr: " + r.err() + "stdout: " + r.out());
    if (c.stream().equals("stderr")) {
      assertEquals(expected.equals("(empty)") ? "" : expected + System.lineSeparator(), r.err(), "exactly one line on stderr");
    } else {
      assertEquals(expected, r.out().lines().skip(c.line() - 1).findFirst().orElse(""), "stdout line " + c.line());
      assertEquals("", r.err());
    }
    if (c.after() != null) {
      checkAfter(c.after(), file, before, snapshot(dir));
    }
  }

  /**
   * The CLI in-process; {@code shrink FILE} is ChangingFileTest's test-only command, which opens
   * the dump as every analysis command does and truncates it before reading.
   */
  private static CliRun run(String[] args) {
    if (!args[0].equals("shrink")) {
      return CliRun.of(args);
    }
    picocli.CommandLine cl = new picocli.CommandLine(new Main());
    cl.addSubcommand(new ChangingFileTest.Shrinking());
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = Main.execute(cl, args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
    return new CliRun(code, out.toString(), err.toString());
  }

  /** The CLI in a child JVM that root starts without the capabilities that override file modes (setpriv). */
  private static CliRun runWithoutDacOverride(String[] args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search",
        ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("hostile", ".out");
    Path err = Files.createTempFile("hostile", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the child JVM still runs after 120 s");
      return new CliRun(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * The catalogue's {@code after:} conditions, checked on the case's directory: each one a
   * sentence the catalogue uses, so that a new one must be taught here.
   */
  private static void checkAfter(String after, Path file, Map<String, String> before, Map<String, String> now) throws IOException {
    switch (after) {
      case "nothing changed" -> assertEquals(before, now, "the earlier output and everything beside it, as they were");
      case "the link stays a link; the directory it names holds the new set, nothing else" -> {
        assertTrue(Files.isSymbolicLink(file), file + " is still a link");
        Path real = file.resolveSibling(Files.readSymbolicLink(file));
        try (Stream<Path> names = Files.list(real)) {
          assertEquals(List.of("System.map", "post.core", "pre.core", "vmcore"), names.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(Files.size(real.resolve("pre.core")) > 1 << 20, "the new pre.core, not the earlier line of text");
        assertEquals(before.keySet().stream().filter(k -> !k.startsWith(real.getFileName() + "/")).toList(),
            now.keySet().stream().filter(k -> !k.startsWith(real.getFileName() + "/")).toList(), "nothing written beside it");
      }
      case "the link stays a link; the file it names holds the 16 bytes read" -> {
        assertTrue(Files.isSymbolicLink(file), file + " is still a link");
        assertEquals("abcdefgh" + "\0".repeat(8), Files.readString(file.resolveSibling(Files.readSymbolicLink(file))));
      }
      default -> throw new AssertionError("after: '" + after + "' is not a condition HostileInputTest knows");
    }
  }

  /** Every entry under {@code root}: its relative path, and what it is (a link's target, a file's SHA-256). */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> m = new java.util.TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.toList()) {
        String what;
        if (Files.isSymbolicLink(p)) {
          what = "link to " + Files.readSymbolicLink(p);
        } else if (Files.isDirectory(p)) {
          what = "directory";
        } else if (Files.isRegularFile(p)) {
          try (var in = Files.newInputStream(p)) {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
              d.update(buf, 0, n);
            }
            what = java.util.HexFormat.of().formatHex(d.digest());
          } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        } else {
          what = "special";
        }
        m.put(root.relativize(p).toString(), what);
      }
    }
    return m;
  }

  /**
   * {@code api indirection-walk FILE HEAD ENTRY-BYTES}: the message IndirectionWalk.read refuses
   * the list with; {@code api elf-open FILE}: the message ElfCoreReader refuses the core with.
   */
  private static String libraryError(String[] args) throws IOException {
    if (args[1].equals("elf-open")) {
      try (Dump dump = ElfCoreReader.open(Path.of(args[2]))) {
        return "(accepted)";
      } catch (MalformedDumpException e) {
        return e.getMessage();
      }
    }
    assertEquals("indirection-walk", args[1]);
    try (Dump image = RawImage.open(Path.of(args[2]))) {
      IndirectionWalk.read(image.physicalMemory(), Long.decode(args[3]), Integer.parseInt(args[4]));
      return "(accepted)";
    } catch (CorruptIndirectionListException e) {
      return e.getMessage();
    }
  }

  @Test
  void everyGeneratedInputIsInTheCatalogue() throws IOException {
    List<String> names = parse(Files.readAllLines(catalogueFile())).stream().map(Case::name).toList();
    assertEquals(List.copyOf(HostileInputs.CASES.keySet()), names);
  }

  static List<Case> parse(List<String> lines) {
    List<Case> cases = new ArrayList<>();
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : lines) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.isBlank()) {
        add(cases, fields);
        continue;
      }
      int colon = line.indexOf(": ");
      fields.put(line.substring(0, colon), line.substring(colon + 2));
    }
    add(cases, fields);
    return cases;
  }

  private static void add(List<Case> cases, Map<String, String> f) {
    if (f.isEmpty()) {
      return;
    }
    String stream = f.containsKey("stderr") ? "stderr" : f.containsKey("stdout") ? "stdout" : "error";
    int exit = f.containsKey("exit") ? Integer.parseInt(f.get("exit")) : -1;
    cases.add(new Case(f.get("case"), f.get("run"), exit, stream, f.get(stream), f.get("after"),
        f.containsKey("line") ? Integer.parseInt(f.get("line")) : 1));
    f.clear();
  }

  static Path catalogueFile() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("testdata/hostile/catalogue.txt");
      if (Files.exists(p)) {
        return p;
      }
    }
    throw new IllegalStateException("testdata/hostile/catalogue.txt not found above " + Path.of("").toAbsolutePath());
  }
}
