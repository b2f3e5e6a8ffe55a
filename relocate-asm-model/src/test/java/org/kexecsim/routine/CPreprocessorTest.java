package org.kexecsim.routine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.relocate.RelocateRoutine;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;
import org.kexecsim.transition.TransitionDesign;

/** A developer's .S with #include and #define goes through the system cpp, then runs. */
class CPreprocessorTest {
  @TempDir Path dir;

  @BeforeAll
  static void cpp() {
    assumeTrue(Binutils.available(), "gcc (the C preprocessor) is not installed");
  }

  static Path developerRoutine() throws URISyntaxException {
    return Path.of(CPreprocessorTest.class.getResource("dev/relocate_kernel_64.S").toURI());
  }

  static final CPreprocessor.Options SAVE_VA = new CPreprocessor.Options(List.of("SAVE_VA_AT=0x38"), List.of());

  /** The macro-named copy is our mainline routine: after cpp the bytes must be the same. */
  @Test
  void theDevelopersRoutineAssemblesThroughCppToOurMainlineBytes() throws Exception {
    RelocateRoutine theirs = RoutineFile.load(developerRoutine(), 64, SAVE_VA);
    RelocateRoutine ours = RelocateRoutine.of("mainline", Arch.X86_64);
    long va = 0xffff_ffff_8107_8000L;
    assertArrayEquals(ours.bytesAt(va), theirs.bytesAt(va));
  }

  @Test
  void theDevelopersRoutineRunsAKexecJumpRoundTrip() throws Exception {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("mainline"),
            RamMap.ofSize(1L << 30), "128M", ImageType.NORMAL, 3)
        .withRoutine(RoutineFile.load(developerRoutine(), 64, SAVE_VA)).withPreserveContext());
    assertEquals(TransitionOutcome.ENTERED, r.outcome(), () -> String.join("\n", r.steps()) + "\n" + r.problems());
    assertTrue(r.roundTrip().orElseThrow().problems().isEmpty());
    assertEquals(r.pagesToCopy(), r.pagesCopiedIntact());
  }

  /**
   * cc1 reads an #include whole before writing: of /dev/zero it would grow until the OOM killer
   * came; under its address-space limit it fails at once, and the line names the source.
   */
  @Test
  void anIncludeOfDevZeroFailsQuicklyNamingTheSource() throws Exception {
    Path src = Files.writeString(dir.resolve("zero.S"), "#include \"/dev/zero\"\nnop\n");
    long t0 = System.nanoTime();
    RoutineRejected e = assertThrows(RoutineRejected.class, () -> CPreprocessor.run(src, CPreprocessor.Options.NONE));
    assertTrue(e.getMessage().startsWith(src + ": the C preprocessor failed: "), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "bounded by the limit, not by the 60 s deadline");
  }

  /** Six levels of 16-fold macros expand to 256 MiB: the output is cut at 64 MiB and refused. */
  @Test
  void aMacroThatExpandsPastTheOutputBoundIsRefused() throws Exception {
    StringBuilder b = new StringBuilder("#define A0 xxxxxxxxxxxxxxxx\n");
    for (int i = 1; i <= 6; i++) {
      b.append("#define A").append(i).append((" A" + (i - 1)).repeat(16)).append('\n');
    }
    Path src = Files.writeString(dir.resolve("bomb.S"), b.append("A6\n").toString());
    RoutineRejected e = assertThrows(RoutineRejected.class, () -> CPreprocessor.run(src, CPreprocessor.Options.NONE));
    assertEquals(src + ": the C preprocessor wrote more than 64 MiB (a macro that expands without end?)", e.getMessage());
  }

  /** Without the -D the macro stays undefined: the assembler's complaint names the user's line. */
  @Test
  void anAssemblyErrorNamesTheUsersFileAndLineNotCppsOutput() throws Exception {
    RoutineRejected e = assertThrows(RoutineRejected.class,
        () -> RoutineFile.load(developerRoutine(), 64, CPreprocessor.Options.NONE));
    String src = Files.readString(developerRoutine());
    int line = 1 + (int) src.lines().takeWhile(l -> !l.contains("CP_VA_RELOCATE(")).count();
    assertTrue(e.getMessage().startsWith(developerRoutine() + ":" + line + ":"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void aMissingIncludeIsOneLineFromCpp() throws IOException {
    Path s = dir.resolve("broken.S");
    Files.writeString(s, "#include \"no-such-header.h\"\n\tret\n");
    RoutineRejected e = assertThrows(RoutineRejected.class, () -> RoutineFile.load(s, 64, CPreprocessor.Options.NONE));
    assertTrue(e.getMessage().contains("no-such-header.h"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void includeDirectoriesAndDefinesArePassedThrough() throws IOException {
    Path inc = Files.createDirectories(dir.resolve("include/asm"));
    Files.writeString(inc.resolve("magic.h"), "#define MAGIC (WIDTH * 2)\n");
    Path s = dir.resolve("uses.S");
    Files.writeString(s, "#include <asm/magic.h>\n\tmovl\t$MAGIC, %eax\n\tret\n");
    RelocateRoutine r = RoutineFile.load(s, 32, new CPreprocessor.Options(List.of("WIDTH=21"), List.of(dir.resolve("include"))));
    assertArrayEquals(new byte[] {(byte) 0xb8, 42, 0, 0, 0, (byte) 0xc3}, r.bytesAt(0));
  }

  @Test
  void onlyCapitalSGoesThroughCpp() {
    assertTrue(CPreprocessor.wantsPreprocessing(Path.of("relocate_kernel_64.S")));
    assertFalse(CPreprocessor.wantsPreprocessing(Path.of("relocate_kernel_64.s")));
  }
}
