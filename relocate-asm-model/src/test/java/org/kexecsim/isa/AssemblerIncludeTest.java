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
 * as itself), and every failure inside an included file, found while parsing or at layout
 * (undefined symbol, value too wide), is one error on the outermost directive's line and column
 * naming each file entered and the line and column in the last.
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
  void anUndefinedSymbolInAnIncludedFileNamesTheFileAndItsOwnLine() {
    AssemblyException e = rejected("nop\n  .include \"bad.S\"\nnop\n", Map.of("bad.S", "nop\nnop; jmp nowhere\n"));
    assertEquals(2, e.line());
    assertEquals(3, e.column());
    assertEquals("in bad.S, 2:10: undefined symbol nowhere", e.reason());
  }

  @Test
  void aValueTooWideInANestedIncludeNamesBothFiles() {
    AssemblyException e = rejected("nop\n.include \"a.S\"\n",
        Map.of("a.S", "nop\n\n .include \"b.S\"\n", "b.S", ".byte 1\n.byte 0x1234\n"));
    assertEquals(2, e.line());
    assertEquals(1, e.column());
    assertEquals("in a.S, 3:2: in b.S, 2:1: value 0x1234 does not fit 1 byte", e.reason());
  }

  @Test
  void aLayoutErrorAfterAnIncludeKeepsItsOwnLine() {
    AssemblyException e = rejected(".include \"ok.S\"\nnop\n.byte 0x1234\n", Map.of("ok.S", "nop\n"));
    assertEquals(3, e.line());
    assertEquals("value 0x1234 does not fit 1 byte", e.reason());
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
