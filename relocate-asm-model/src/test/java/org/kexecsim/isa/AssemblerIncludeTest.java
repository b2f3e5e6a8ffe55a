package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code .include "NAME"}: the named file's lines assemble where the directive stands, as GNU as
 * reads them ("Assembler Directives", .include; GasOracleTest checks the entry programs against
 * as itself), and every failure is one error on the directive's line.
 */
class AssemblerIncludeTest {

  private static Includes files(Map<String, String> files) {
    return name -> Optional.ofNullable(files.get(name));
  }

  private static AssemblyException rejected(String source, Map<String, String> files) {
    return assertThrows(AssemblyException.class, () -> Assembler.assemble(source, 64, 0, files(files)));
  }

  @Test
  void includedLinesAssembleWhereTheDirectiveStandsAndShareLabels() {
    Map<String, String> files = Map.of("body.S", "movl $1, %eax\ninner: jmp outer\n");
    byte[] included = Assembler.assemble("nop\n.include \"body.S\"\nouter: jmp inner\nhlt\n", 64, 0, files(files)).bytes();
    byte[] inline = Assembler.assemble("nop\nmovl $1, %eax\ninner: jmp outer\nouter: jmp inner\nhlt\n", 64).bytes();
    assertArrayEquals(inline, included);
  }

  @Test
  void aCodeSizeSetInAnIncludedFileCarriesOnAfterIt() {
    // inc %eax is 0x40 in 32-bit code and ff c0 in 64-bit code
    byte[] b = Assembler.assemble(".include \"mode.S\"\ninc %eax\n", 64, 0, files(Map.of("mode.S", ".code32\n"))).bytes();
    assertArrayEquals(new byte[] {0x40}, b);
  }

  @Test
  void aMissingFileIsAnErrorOnTheDirectivesLine() {
    AssemblyException e = rejected("nop\n  .include \"absent.S\"\n", Map.of());
    assertEquals(2, e.line());
    assertEquals(3, e.column());
    assertEquals(".include \"absent.S\": no such file", e.reason());
  }

  @Test
  void sourceGivenAsTextAloneHasNoFilesToInclude() {
    AssemblyException e = assertThrows(AssemblyException.class, () -> Assembler.assemble(".include \"x.S\"\n", 64));
    assertEquals(1, e.line());
    assertTrue(e.reason().contains("no files can be included here"), e.reason());
  }

  @Test
  void anErrorInsideAnIncludedFileNamesTheFileAndItsOwnLine() {
    AssemblyException e = rejected("nop\nnop\n.include \"bad.S\"\n", Map.of("bad.S", "nop\n .bogus\n"));
    assertEquals(3, e.line());
    assertEquals("in bad.S, 2:2: unknown directive .bogus", e.reason());
  }

  @Test
  void aFileThatIncludesItselfIsOneErrorNotAStackOverflow() {
    AssemblyException e = rejected(".include \"loop.S\"\n", Map.of("loop.S", "nop\n.include \"loop.S\"\n"));
    assertEquals(1, e.line());
    assertTrue(e.reason().contains("nests deeper than " + SourceParser.MAX_INCLUDE_DEPTH + " files"), e.reason());
  }

  @Test
  void theNameMustBeQuoted() {
    AssemblyException e = rejected(".include body.S\n", Map.of("body.S", "nop\n"));
    assertTrue(e.reason().contains("double quotes"), e.reason());
  }
}
