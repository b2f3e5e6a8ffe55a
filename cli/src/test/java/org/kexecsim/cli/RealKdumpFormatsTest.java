package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.testing.RealDumps;

/**
 * Real dumps (scripts/real-dumps.sh: Debian's kernel under QEMU panicking into a capture kernel)
 * in every format the field holds: the x86_64 and PAE /proc/vmcores converted by the real
 * makedumpfile (Debian's amd64 and i386 builds) at dump levels 0 and 31 with each codec,
 * flattened and split; QEMU's own dump-guest-memory -z of a PAE guest. Each must answer as the ELF it came from, with what level 31 left out stated.
 */
class RealKdumpFormatsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static final List<String> CONVERSIONS = List.of("c-d0.kdump", "l-d0.kdump", "c-d31.kdump", "l-d31.kdump", "p-d31.kdump",
      "z-d31.kdump", "c-d31.flat", "split2", "split3");

  /**
   * Every conversion of both guests: x86_64's by Debian's amd64 makedumpfile, PAE's (the ILP32
   * kdump layout: 32-bit longs in the sub-header, timeval of two 32-bit words) by its i386 build.
   */
  static Stream<Arguments> conversions() {
    return Stream.of(RealDumps.Arch.X86_64, RealDumps.Arch.PAE).flatMap(a -> CONVERSIONS.stream().map(c -> Arguments.of(a, c)));
  }

  /** The symbols whose translations are compared: swapper_pg_dir for PAE, whose kallsyms lacks init_uts_ns. */
  static List<String> vas(RealDumps.Set set) {
    List<String> names = set.arch() == RealDumps.Arch.PAE ? List.of("_stext", "linux_banner", "swapper_pg_dir")
        : List.of("_stext", "linux_banner", "init_uts_ns");
    return names.stream().map(s -> "0x" + Long.toHexString(set.symbols().get(s))).toList();
  }

  static String image(RealDumps.Set set, String name) {
    if (name.startsWith("split")) {
      return set.makedumpfileSplit(name.charAt(5) - '0').stream().map(Path::toString).collect(Collectors.joining(":"));
    }
    return set.makedumpfile(name).toString();
  }

  @ParameterizedTest
  @MethodSource("conversions")
  void translationsTablesAndVerdictAreTheVmcores(RealDumps.Arch arch, String name) {
    RealDumps.Set set = RealDumps.get(arch);
    String img = image(set, name);
    String vmcore = set.vmcore().toString();
    List<String> vas = vas(set);
    for (String[] cmd : List.of(new String[] {"vtop", "IMAGE", vas.get(0), vas.get(1), vas.get(2), "--verbose"},
        new String[] {"ptdump", "IMAGE"}, new String[] {"verify-pgd", "IMAGE"})) {
      CliRun a = CliRun.of(replace(cmd, vmcore));
      CliRun b = CliRun.of(replace(cmd, img));
      assertEquals(a.exitCode(), b.exitCode(), name + " " + cmd[0] + ": " + b.err());
      assertEquals(a.out(), b.out(), name + " " + cmd[0]);
    }
  }

  @ParameterizedTest
  @MethodSource("conversions")
  void diffFindsNoDifferenceOnlyWhatLevel31LeftOut(RealDumps.Arch arch, String name) throws Exception {
    RealDumps.Set set = RealDumps.get(arch);
    CliRun r = CliRun.of("diff", set.vmcore().toString(), image(set, name), "--json");
    JsonNode n = JSON.readTree(r.out());
    assertEquals(0, n.path("differingPages").asLong(), r.out());
    assertEquals(0, n.path("onlyInBBytes").asLong(), r.out());
    // the ELF keeps the sub-page tails of e820 ranges (e.g. 0x9f000-0x9fbff); the bitmaps count whole frames
    assertTrue(n.path("onlyInABytes").asLong() < 4096 * 8, r.out());
    assertEquals(name.contains("d31") || name.startsWith("split"), n.path("excludedBytes").asLong() > 0, r.out());
  }

  @ParameterizedTest
  @EnumSource(value = RealDumps.Arch.class, names = {"X86_64", "PAE"})
  void pageDigestsOfALevel31DumpAreTheVmcoresAndItSaysWhatItLeftOut(RealDumps.Arch arch) {
    RealDumps.Set set = RealDumps.get(arch);
    CliRun full = CliRun.of("checksum", set.vmcore().toString(), "--per-page");
    CliRun part = CliRun.of("checksum", image(set, "c-d31.kdump"), "--per-page");
    assertEquals(0, part.exitCode(), part.err());
    String imageLine = ExcludedPagesCommandTest.imageLine(part.out());
    assertTrue(imageLine.contains("excluded by its dump level"), imageLine);
    Set<String> elfPages = full.out().lines().filter(l -> l.contains("  page 0x")).collect(Collectors.toCollection(HashSet::new));
    long held = part.out().lines().filter(l -> l.contains("  page 0x")).peek(l -> assertTrue(elfPages.contains(l), l)).count();
    assertTrue(held > 1000 && held < elfPages.size(), held + " of " + elfPages.size());
  }

  @Test
  void qemusCompressedDumpOfAPaeGuestTranslatesAsItsElf() {
    RealDumps.Set set = RealDumps.pae();
    List<String> vas = Stream.of("_stext", "linux_banner", "swapper_pg_dir").map(s -> "0x" + Long.toHexString(set.symbols().get(s))).toList();
    for (Path kdump : List.of(set.qemuKdumpZlib(), set.qemuKdumpZlibFlattened())) {
      for (String[] cmd : List.of(new String[] {"vtop", "IMAGE", vas.get(0), vas.get(1), vas.get(2)}, new String[] {"checksum", "IMAGE"})) {
        CliRun a = CliRun.of(replace(cmd, set.qemuElf().toString()));
        CliRun b = CliRun.of(replace(cmd, kdump.toString()));
        assertEquals(a.exitCode(), b.exitCode(), kdump + ": " + b.err());
        assertEquals(a.out(), b.out(), kdump + " " + cmd[0]);
      }
    }
  }

  static String[] replace(String[] cmd, String image) {
    return Stream.of(cmd).map(s -> s.equals("IMAGE") ? image : s).toArray(String[]::new);
  }
}
