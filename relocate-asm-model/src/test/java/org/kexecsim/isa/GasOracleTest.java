package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Our assembler must emit exactly GNU as's bytes for every form it supports. The form files list
 * each form once (plus relaxation, alignment and data directives); a mismatch names the first
 * differing source line.
 */
class GasOracleTest {
  @BeforeAll
  static void needGnuAs() {
    assumeTrue(GnuAs.available(), "GNU as/objcopy not installed: oracle test skipped");
  }

  @ParameterizedTest
  @CsvSource({"forms64.S, 64", "forms32.S, 32"})
  void everyFormMatchesGnuAs(String file, int bits) throws IOException {
    String source = resource(file);
    byte[] gas = GnuAs.assemble(source, bits);
    Assembly ours = Assembler.assemble(source, bits);
    byte[] mine = ours.bytes();
    for (Assembly.ListingLine l : ours.listing()) {
      int at = (int) l.address();
      for (int i = 0; i < l.length(); i++) {
        if (at + i >= gas.length || gas[at + i] != mine[at + i]) {
          int end = Math.min(gas.length, at + Math.max(l.length(), 1));
          fail(String.format("%s line %d '%s' at 0x%x: ours %s, GNU as %s", file, l.line(), l.source(), at,
              HexFormat.of().formatHex(mine, at, at + l.length()),
              at < gas.length ? HexFormat.of().formatHex(gas, at, end) : "(past end)"));
        }
      }
    }
    assertEquals(gas.length, mine.length, "image size");
  }

  /** The project's relocate routines (design + copy-and-enter tail) are real code in the subset. */
  @ParameterizedTest
  @CsvSource({
    "legacy-i386.S, 32", "page-table-a-i386.S, 32", "single-table-i386.S, 32", "mainline-i386.S, 32",
    "legacy-x86_64.S, 64", "page-table-a-x86_64.S, 64", "single-table-x86_64.S, 64", "mainline-x86_64.S, 64"
  })
  void relocateRoutinesMatchGnuAs(String design, int bits) throws IOException {
    String source = relocate(design) + "\n" + relocate(bits == 64 ? "copy-pages-64.S" : "copy-pages-32.S");
    byte[] gas = GnuAs.assembleLinked(source, bits, java.util.Map.of("table-args-i386.S", relocate("table-args-i386.S")));
    byte[] mine = Assembler.assemble(source, bits, 0, RESOURCES).bytes();
    assertEquals(HexFormat.of().formatHex(gas), HexFormat.of().formatHex(mine), design);
  }

  /**
   * The new kernel's entry programs share their state record through .include: GNU as (and ld,
   * for their absolute label addresses), given the same files, produces the same bytes.
   */
  @ParameterizedTest
  @CsvSource({"entry-32.S, 32", "entry-jump-32.S, 32", "entry-64.S, 64", "entry-jump-64.S, 64"})
  void entryProgramsWithTheirIncludesMatchGnuAs(String program, int bits) throws IOException {
    String record = bits == 64 ? "entry-record-64.S" : "entry-record-32.S";
    String source = relocate(program);
    byte[] gas = GnuAs.assembleLinked(source, bits, java.util.Map.of(record, relocate(record)));
    byte[] mine = Assembler.assemble(source, bits, 0, RESOURCES).bytes();
    assertEquals(HexFormat.of().formatHex(gas), HexFormat.of().formatHex(mine), program);
  }

  /** .align padding: which no-ops, and when GNU as jumps over them instead, for 1..255 bytes. */
  @ParameterizedTest
  @CsvSource({"32", "64"})
  void alignmentPaddingMatchesGnuAsForEveryLength(int bits) throws IOException {
    StringBuilder source = new StringBuilder(".code" + bits + "\n");
    for (int pad = 1; pad < 256; pad++) {
      // one byte, then fill so that .align 256 has to pad exactly `pad` bytes
      source.append(".byte 0xcc\n.fill ").append(255 - pad).append(",1,0x90\n.align 256\n");
    }
    byte[] gas = GnuAs.assemble(source.toString(), bits);
    byte[] mine = Assembler.assemble(source.toString(), bits).bytes();
    for (int pad = 1; pad < 256; pad++) {
      int from = 256 * pad - pad;
      String g = HexFormat.of().formatHex(gas, from, 256 * pad);
      String m = HexFormat.of().formatHex(mine, from, 256 * pad);
      assertEquals(g, m, pad + " bytes of padding in " + bits + "-bit code");
    }
  }

  /** The relocate resources, for their .include of each other. */
  private static final Includes RESOURCES = name -> {
    try {
      return java.util.Optional.of(relocate(name));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  };

  static String relocate(String name) throws IOException {
    try (InputStream in = GasOracleTest.class.getResourceAsStream("/org/kexecsim/relocate/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static String resource(String name) throws IOException {
    try (InputStream in = GasOracleTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
