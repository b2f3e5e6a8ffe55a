package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
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
 * catalogue's; a legal-but-strange input gives the catalogue's first line of stdout.
 */
class HostileInputTest {

  /** {@code stream} is stderr or stdout for a CLI run, error for a library call ({@code run: api ...}). */
  record Case(String name, String run, int exit, String stream, String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  @TempDir Path dir;

  static Stream<Case> catalogue() throws IOException {
    return parse(Files.readAllLines(catalogueFile())).stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("catalogue")
  void givesTheCataloguesExitCodeAndOneLine(Case c) throws IOException {
    HostileInputs.Maker maker = HostileInputs.CASES.get(c.name());
    assertNotNull(maker, "no generator for " + c.name());
    Path file = dir.resolve(c.name());
    maker.write(file);
    String[] args = c.run().replace("FILE", file.toString()).split(" +");
    if (args[0].equals("api")) {
      assertEquals(c.expected().replace("FILE", file.toString()), libraryError(args));
      return;
    }
    CliRun r = CliRun.of(args);
    String expected = c.expected().replace("FILE", file.toString());
    assertEquals(c.exit(), r.exitCode(), () -> "stderr: " + r.err() + "stdout: " + r.out());
    if (c.stream().equals("stderr")) {
      assertEquals(expected + System.lineSeparator(), r.err(), "exactly one line on stderr");
    } else {
      assertEquals(expected, r.out().lines().findFirst().orElse(""));
      assertEquals("", r.err());
    }
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

  private static List<Case> parse(List<String> lines) {
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
    cases.add(new Case(f.get("case"), f.get("run"), exit, stream, f.get(stream)));
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
