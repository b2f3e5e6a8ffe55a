package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransitionCommandTest {
  @TempDir Path dir;

  @Test
  void aPageTableAKdumpOnPaeReachesTheEntryAndKeepsTheOldPgd() {
    CliRun r = CliRun.of("transition", "--arch", "pae", "--design", "page-table-a", "--ram", "1G", "--crashkernel", "64M");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("old pgd 0x"), r.out());
    assertTrue(r.out().contains("preserved"), r.out());
    assertTrue(r.out().trim().endsWith("instructions)"), r.out());
    assertTrue(r.out().contains("verdict: OK"), r.out());
  }

  @Test
  void legacyIsANegativeVerdictInJsonToo() throws Exception {
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "legacy", "--ram", "2G", "--crashkernel", "64M", "--json");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/transition/v1", doc.get("format").asText());
    assertEquals("entered", doc.get("outcome").asText());
    assertEquals(false, doc.get("oldPgd").get("preserved").asBoolean());
    assertEquals("failed", doc.get("verdict").asText());
  }

  @Test
  void imagesAreWrittenOnceAndNotOverwrittenWithoutForce() throws Exception {
    Path out = dir.resolve("run");
    String[] args = {"transition", "--arch", "i386", "--design", "mainline", "--ram", "512M", "--crashkernel", "64M", "--out", out.toString()};
    assertEquals(0, CliRun.of(args).exitCode());
    assertTrue(Files.size(out.resolve("pre.core")) > 0 && Files.exists(out.resolve("vmcore")));
    CliRun again = CliRun.of(args);
    assertEquals(4, again.exitCode(), again.err());
    assertTrue(again.err().contains("pre.core"), again.err());
  }

  @Test
  void traceShowsEveryInstructionUpToTheEntry() {
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "64M", "--trace");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("popf"), r.out());
    assertTrue(r.out().contains("%cr3"), r.out());
    assertTrue(r.out().contains("hlt"), r.out());
  }

  /** The relocate-asm-model test resource: our mainline routine with the kernel's macro names. */
  static final Path DEVELOPER_ROUTINE = Path.of("../relocate-asm-model/src/test/resources/org/kexecsim/routine/dev/relocate_kernel_64.S");
  static final Path AMD64_VMLINUX = Path.of(System.getenv().getOrDefault("KSIM_VMLINUX_X86_64",
      "/var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64"));

  @Test
  void aDevelopersSourceWithIncludesRunsAKexecJump() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(DEVELOPER_ROUTINE), "run from the cli module");
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--kexec", "normal", "--ram", "1G",
        "--routine", DEVELOPER_ROUTINE.toString(), "-DSAVE_VA_AT=0x38", "--preserve-context");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("(through cpp)"), r.out());
    assertTrue(r.out().contains("every one where it started"), r.out());
  }

  @Test
  void theKernelsOwnRoutineFromVmlinux() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(AMD64_VMLINUX), AMD64_VMLINUX + " is absent (see .ci/run)");
    CliRun r = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--kexec", "normal", "--ram", "1G",
        "--routine", AMD64_VMLINUX.toString(), "--json");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("6.1", doc.get("abi").asText());
    assertTrue(doc.get("routine").asText().contains("kexec_control_code_size"), doc.get("routine").asText());
    assertEquals(doc.get("pagesToCopy").asInt(), doc.get("pagesCopiedIntact").asInt());
  }

  @Test
  void badRoutinesAreOneLineAndExitThreeAMissingOneFour() throws Exception {
    CliRun missing = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--routine", dir.resolve("nope.bin").toString());
    assertEquals(4, missing.exitCode(), missing.err());
    assertEquals(1, missing.err().lines().count(), missing.err());
    Path broken = dir.resolve("broken.S");
    Files.writeString(broken, "#include \"absent.h\"\n");
    CliRun cpp = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--routine", broken.toString());
    assertEquals(3, cpp.exitCode(), cpp.err());
    assertEquals(1, cpp.err().lines().count(), cpp.err());
    assertTrue(cpp.err().contains("absent.h"), cpp.err());
    Path notElf = dir.resolve("fake");
    Files.write(notElf, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    CliRun elf = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--routine", notElf.toString());
    assertEquals(3, elf.exitCode(), elf.err());
    assertTrue(elf.err().contains(notElf.toString()), elf.err());
  }

  @Test
  void routineOptionsThatCannotGoTogetherAreUsageErrors() {
    assertEquals(2, CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--preserve-context").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--abi", "2.4").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--abi", "own").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "x86_64", "--design", "legacy", "--abi", "6.1").exitCode());
  }

  @Test
  void badInputAndUsageHaveTheirExitCodes() {
    assertEquals(2, CliRun.of("transition", "--arch", "arm64", "--design", "mainline").exitCode());
    assertEquals(2, CliRun.of("transition", "--arch", "i386", "--design", "two-tables").exitCode());
    CliRun outside = CliRun.of("transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--crashkernel", "256M@8G");
    assertEquals(3, outside.exitCode(), outside.out() + outside.err());
    assertEquals(1, outside.err().lines().count(), outside.err());
  }

  @Test
  void anOutputSetIsRefusedInOneLineBeforeTheRunAndLeftAsItWas() throws Exception {
    Path out = dir.resolve("set");
    String[] args = {"transition", "--arch", "x86_64", "--design", "mainline", "--ram", "1G", "--out", out.toString()};
    assertEquals(0, CliRun.of(args).exitCode());
    long before = Files.getLastModifiedTime(out.resolve("vmcore")).toMillis();
    CliRun again = CliRun.of(args);
    assertEquals(4, again.exitCode());
    assertEquals("kexec-sim: " + out + ": holds an earlier output (System.map, post.core, pre.core, vmcore); nothing was written"
        + " (--force replaces it)\n", again.err());
    assertEquals("", again.out(), "refused before the run: nothing printed");
    Files.writeString(out.resolve("notes.txt"), "mine");
    String[] forced = java.util.Arrays.copyOf(args, args.length + 1);
    forced[args.length] = "--force";
    CliRun other = CliRun.of(forced);
    assertEquals(4, other.exitCode());
    assertEquals("kexec-sim: " + out + ": holds files that are not part of the output (notes.txt), which replacing it would delete;"
        + " nothing was written\n", other.err());
    assertEquals(before, Files.getLastModifiedTime(out.resolve("vmcore")).toMillis());
    try (var s = Files.list(dir)) {
      assertEquals(java.util.List.of(out), s.toList(), "no staging left beside the set");
    }
  }
}
