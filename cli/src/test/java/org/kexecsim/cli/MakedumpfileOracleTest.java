package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.dump.kdump.KdumpTestWriter;
import org.kexecsim.dump.kdump.PageCodec;

/**
 * The real makedumpfile as the oracle: the project's own vmcore (a crashed synthetic kernel) is
 * converted by makedumpfile into each form it writes, and every analysis command must answer on
 * the converted file exactly as on the ELF vmcore it came from. Snappy and zstd pages, which
 * Debian's makedumpfile 1.7.2 cannot write, are the real -c file's pages re-encoded in place.
 * Skipped when makedumpfile is not installed; KdumpReaderTest checks the same rules on files the
 * tests lay out themselves. {@link MakedumpfileOraclePaeTest} does the same for a PAE vmcore with
 * Debian's i386 makedumpfile (the kdump ILP32 layout).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MakedumpfileOracleTest {
  /** The arch of the crashed kernel; the makedumpfile that reads it; three addresses to translate. */
  String arch = "x86_64";
  String tool = "makedumpfile";
  String text = "0xffffffff81000000";
  String direct = "0xffff888000100000";
  String direct64m = "0xffff888004000000";

  @TempDir static Path tmp;
  /** This class's files (the subclass shares the static temp dir). */
  Path dir;
  Path vmcore;
  Path pre;

  /** Sets {@link #tool} or skips when the makedumpfile for {@link #arch} is missing. */
  void findTool() {
    assumeTrue(onPath("makedumpfile"), "makedumpfile is not installed (Debian package makedumpfile)");
  }

  @BeforeAll
  void crashAndConvert() throws Exception {
    findTool();
    dir = Files.createDirectories(tmp.resolve(arch));
    Path out = dir.resolve("run");
    CliRun r = CliRun.of("transition", "--arch", arch, "--design", "mainline", "--ram", "256M", "--crashkernel", "64M",
        "--out", out.toString());
    assertEquals(0, r.exitCode(), r.err());
    vmcore = out.resolve("vmcore");
    pre = out.resolve("pre.core");
    for (String level : List.of("0", "1")) {
      for (String c : List.of("-c", "-l", "-p", "-z")) {
        makedumpfile(dir.resolve("d" + level + c), c, "-d", level, vmcore.toString(), dir.resolve("d" + level + c).toString());
      }
    }
    makedumpfile(dir.resolve("flat"), "-F", "-c", "-d", "0", vmcore.toString());
    // Dump level 31 drops zero, cache, user and free pages: the synthetic kernel's struct pages say
    // which (TransitionImagesMakedumpfileTest checks them page for page).
    makedumpfile(dir.resolve("d31-c"), "-c", "-d", "31", vmcore.toString(), dir.resolve("d31-c").toString());
    makedumpfile(dir.resolve("d31-l"), "-l", "-d", "31", vmcore.toString(), dir.resolve("d31-l").toString());
    makedumpfile(dir.resolve("d31-flat"), "-F", "-l", "-d", "31", vmcore.toString());
    makedumpfile(null, "--split", "-c", "-d", "31", vmcore.toString(), dir.resolve("d31-split2.1").toString(),
        dir.resolve("d31-split2.2").toString());
    makedumpfile(null, "--split", "-c", "-d", "1", vmcore.toString(), part(2, 1), part(2, 2));
    makedumpfile(null, "--split", "-l", "-d", "0", vmcore.toString(), part(3, 1), part(3, 2), part(3, 3));
    byte[] real = Files.readAllBytes(dir.resolve("d0-c"));
    Files.write(dir.resolve("d0-snappy"), KdumpTestWriter.recompress(real, PageCodec.SNAPPY));
    Files.write(dir.resolve("d0-zstd"), KdumpTestWriter.recompress(real, PageCodec.ZSTD));
  }

  String part(int of, int i) {
    return dir.resolve("split" + of + "." + i).toString();
  }

  static boolean onPath(String tool) {
    return Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
  }

  /** Runs makedumpfile; with {@code stdout}, its standard output (the flattened stream) goes there. */
  void makedumpfile(Path stdout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(tool));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
    boolean toFile = stdout != null && args[0].equals("-F");
    pb.redirectOutput(toFile ? ProcessBuilder.Redirect.to(stdout.toFile()) : ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "makedumpfile timed out");
    assertEquals(0, p.exitValue(), "makedumpfile " + cmd + " failed");
  }

  static Stream<String> converted() {
    return Stream.of("d0-c", "d0-l", "d0-p", "d0-z", "d1-c", "d1-l", "d1-p", "d1-z", "flat", "d0-snappy", "d0-zstd",
        "split2.1:split2.2", "split3.3:split3.1:split3.2");
  }

  String path(String name) {
    return String.join(":", Stream.of(name.split(":")).map(n -> dir.resolve(n).toString()).toList());
  }

  /** Runs the command on the ELF vmcore and on {@code name}: same exit code, same output. */
  void sameAnswer(String name, String... argsWithImage) {
    String[] onElf = argsWithImage.clone();
    String[] onConverted = argsWithImage.clone();
    for (int i = 0; i < onElf.length; i++) {
      if (onElf[i].equals("IMAGE")) {
        onElf[i] = vmcore.toString();
        onConverted[i] = path(name);
      }
    }
    CliRun a = CliRun.of(onElf);
    CliRun b = CliRun.of(onConverted);
    assertTrue(a.exitCode() == 0 || a.exitCode() == 1, a.err());
    assertEquals(a.exitCode(), b.exitCode(), name + ": " + b.err());
    assertEquals(a.out(), b.out(), name + ": " + String.join(" ", argsWithImage));
  }

  @ParameterizedTest
  @MethodSource("converted")
  void vtopPtdumpVerifyPgdDiffAndChecksumAnswerAsOnTheElfVmcore(String name) {
    sameAnswer(name, "vtop", "IMAGE", text, direct, direct64m, "--verbose");
    sameAnswer(name, "ptdump", "IMAGE");
    sameAnswer(name, "verify-pgd", pre.toString(), "IMAGE");
    sameAnswer(name, "diff", pre.toString(), "IMAGE");
    sameAnswer(name, "checksum", "IMAGE", "--per-page", "--json");
  }

  static Stream<String> level31() {
    return Stream.of("d31-c", "d31-l", "d31-flat", "d31-split2.1:d31-split2.2");
  }

  /**
   * At -d 31 the kernel's own pages (text, page tables, direct map of them) are all kept, so the
   * translations and the pgd verdict are the ELF vmcore's; diff and checksum say what they could
   * not compare instead of calling excluded pages different or zero.
   */
  @ParameterizedTest
  @MethodSource("level31")
  void atDumpLevel31TheKernelsAnswersAreTheSameAndTheExcludedPagesAreStated(String name) {
    sameAnswer(name, "vtop", "IMAGE", text, direct, "--verbose");
    sameAnswer(name, "ptdump", "IMAGE");
    sameAnswer(name, "verify-pgd", pre.toString(), "IMAGE");
    CliRun diff = CliRun.of("diff", vmcore.toString(), path(name));
    assertEquals(0, diff.exitCode(), name + ": only excluded pages may differ: " + diff.out());
    assertTrue(diff.out().contains("[excluded-in-b]"), diff.out());
    assertTrue(diff.out().contains("0 differing pages"), diff.out());
    CliRun sum = CliRun.of("checksum", path(name));
    assertEquals(0, sum.exitCode(), sum.err());
    assertTrue(sum.out().contains("excluded by its dump level"), sum.out());
  }

  @Test
  void theConvertedFilesAreWhatTheyClaim() {
    CliRun flat = CliRun.of("checksum", path("flat"), "--format", "flattened");
    assertEquals(0, flat.exitCode(), flat.err());
    CliRun wrong = CliRun.of("checksum", path("d0-c"), "--format", "elf");
    assertEquals(3, wrong.exitCode(), "a kdump file forced through the ELF reader is refused");
    assertEquals(1, wrong.err().lines().count(), wrong.err());
    CliRun half = CliRun.of("vtop", path("split3.2:split3.3"), text);
    assertEquals(3, half.exitCode(), "a split dump with a part missing");
    assertTrue(half.err().contains("split dump part missing"), half.err());
    assertEquals(1, half.err().lines().count(), half.err());
  }
}
