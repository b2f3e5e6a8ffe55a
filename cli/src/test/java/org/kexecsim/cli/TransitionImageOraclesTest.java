package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.testing.ExternalOracles;

/**
 * The images `transition --out` writes open in the field's own tools, which read what the
 * synthetic kernel put there: crash finds the release, drgn reads linux_banner by its virtual
 * address, libkdumpfile translates a kernel address to the physical address `vtop` gives.
 */
class TransitionImageOraclesTest {
  @TempDir Path dir;

  private Map<String, Long> transition(String arch) throws IOException {
    CliRun r = CliRun.of("transition", "--arch", arch, "--design", "mainline", "--ram", "1G", "--out", dir.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("symbols: " + dir.resolve("System.map")), r.out());
    Map<String, Long> symbols = new HashMap<>();
    for (String line : Files.readAllLines(dir.resolve("System.map"))) {
      String[] f = line.split(" ");
      symbols.put(f[2], Long.parseUnsignedLong(f[0], 16));
    }
    return symbols;
  }

  private static boolean onPath(String tool) {
    try {
      return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() >= 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), cmd + " hung");
    return out;
  }

  /**
   * crash 8.0.2 takes the release from VMCOREINFO only where the kernel's own /proc/vmcore layout
   * says it is a kdump (netdump.c): on x86_64 all three images; it answers "unknown" for an ELF32
   * i386 vmcore and for QEMU-layout i386 files just as it does for the real PAE dumps
   * (scripts/real-dumps.sh pae), so those are not asked.
   */
  @ParameterizedTest
  @ValueSource(strings = {"x86_64"})
  void crashPrintsTheSyntheticRelease(String arch) throws Exception {
    assumeTrue(onPath("crash"), "crash not installed: skipping the crash --osrelease oracle");
    transition(arch);
    for (String image : List.of("pre.core", "post.core", "vmcore")) {
      String out = run(List.of("crash", "--osrelease", dir.resolve(image).toString()));
      assertEquals(KernelBoot.osRelease(), out.strip(), image + ": " + out);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"x86_64"})
  void drgnReadsLinuxBannerByItsVirtualAddress(String arch) throws Exception {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn not installed: skipping the drgn oracle");
    long banner = transition(arch).get("linux_banner");
    String out = ExternalOracles.python3("""
        import drgn, sys
        p = drgn.Program(); p.set_core_dump(sys.argv[1])
        print(p.read(int(sys.argv[2], 0), 200).split(b"\\0")[0].decode())""",
        dir.resolve("vmcore").toString(), "0x" + Long.toHexString(banner));
    assertEquals(KernelBoot.linuxBanner(), out.substring(0, out.length() - 1));
  }

  /**
   * pre.core and post.core have QEMU's non-paging layout (p_vaddr 0), through which drgn 0.0.22
   * cannot reach a kernel virtual address (it needs the kernel-text PT_LOAD only /proc/vmcore
   * has); it reads linux_banner at the physical address vtop gives for it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"x86_64"})
  void drgnReadsLinuxBannerPhysicallyFromTheQemuLayoutImages(String arch) throws Exception {
    assumeTrue(ExternalOracles.python3Module("drgn"), "python3-drgn not installed: skipping the drgn oracle");
    String va = "0x" + Long.toHexString(transition(arch).get("linux_banner"));
    CliRun v = CliRun.of("vtop", dir.resolve("vmcore").toString(), va);
    Matcher m = Pattern.compile(" -> (0x[0-9a-f]+)").matcher(v.out());
    assertTrue(m.find(), v.out());
    for (String image : List.of("pre.core", "post.core")) {
      String out = ExternalOracles.python3("""
          import drgn, sys
          p = drgn.Program(); p.set_core_dump(sys.argv[1])
          print(p.read(int(sys.argv[2], 0), 200, True).split(b"\\0")[0].decode())""",
          dir.resolve(image).toString(), m.group(1));
      assertEquals(KernelBoot.linuxBanner(), out.substring(0, out.length() - 1), image);
    }
  }

  /** The kernel's page-table root as vtop reports it from the vmcore's VMCOREINFO. */
  private String kernelRoot(String va) {
    CliRun v = CliRun.of("vtop", dir.resolve("vmcore").toString(), va);
    assertEquals(0, v.exitCode(), v.err());
    Matcher m = Pattern.compile("root (0x[0-9a-f]+) \\(VMCOREINFO").matcher(v.out());
    assertTrue(m.find(), v.out());
    return m.group(1);
  }

  private static final String LIBKDUMPFILE = """
      import kdumpfile, addrxlat, sys
      k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
      print(k.attr['linux.uts.release'])
      if len(sys.argv) > 2:
          a = addrxlat.FullAddress(addrxlat.KVADDR, int(sys.argv[2], 0))
          a.conv(addrxlat.MACHPHYSADDR, k.get_addrxlat_ctx(), k.get_addrxlat_sys())
          print(hex(a.addr))""";

  /**
   * libkdumpfile translates through the kernel's root from VMCOREINFO; vtop is told that root
   * (post.core's CPU note holds the new kernel's CR3 instead).
   */
  @ParameterizedTest
  @ValueSource(strings = {"x86_64"})
  void libkdumpfileFindsTheReleaseAndTranslatesLikeVtop(String arch) throws Exception {
    assumeTrue(ExternalOracles.python3Module("kdumpfile"), "python3-libkdumpfile not installed: skipping the oracle");
    long banner = transition(arch).get("linux_banner");
    String va = "0x" + Long.toHexString(banner);
    String root = kernelRoot(va);
    for (String image : List.of("vmcore", "pre.core", "post.core")) {
      CliRun v = CliRun.of("vtop", dir.resolve(image).toString(), "--cr3", root, va);
      assertEquals(0, v.exitCode(), v.err());
      Matcher m = Pattern.compile(" -> (0x[0-9a-f]+)").matcher(v.out());
      assertTrue(m.find(), v.out());
      String oracle = ExternalOracles.python3(LIBKDUMPFILE, dir.resolve(image).toString(), va);
      assertEquals(KernelBoot.osRelease() + "\n" + m.group(1), oracle.strip(), image);
    }
  }

  /**
   * On i386 libkdumpfile 0.5.1 finds the release in every image, but its translation API (conv)
   * fails ("Cannot read 64-bit PTE ... No suitable capabilities") on the real PAE vmcore of
   * scripts/real-dumps.sh as on ours; its read() translates, on a vmcore (the kernel's layout, with
   * the direct map's p_vaddr). So on the vmcore it reads linux_banner by its virtual address, and
   * the bytes must be the banner and the bytes it reads at the physical address vtop gives.
   * pre.core and post.core have QEMU's layout (p_vaddr 0), through which it cannot read the tables
   * ("Infinite read recursion"), as drgn cannot.
   */
  @ParameterizedTest
  @ValueSource(strings = {"pae", "i386"})
  void libkdumpfileFindsTheReleaseOnI386AndReadsTheBannerWhereVtopSays(String arch) throws Exception {
    assumeTrue(ExternalOracles.python3Module("kdumpfile"), "python3-libkdumpfile not installed: skipping the oracle");
    String va = "0x" + Long.toHexString(transition(arch).get("linux_banner"));
    for (String image : List.of("vmcore", "pre.core", "post.core")) {
      assertEquals(KernelBoot.osRelease(), ExternalOracles.python3(LIBKDUMPFILE, dir.resolve(image).toString()).strip(), image);
    }
    CliRun v = CliRun.of("vtop", dir.resolve("vmcore").toString(), va);
    Matcher m = Pattern.compile(" -> (0x[0-9a-f]+)").matcher(v.out());
    assertTrue(m.find(), v.out());
    String read = ExternalOracles.python3("""
        import kdumpfile, addrxlat, sys
        k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
        n = len(sys.argv[4])
        print(bytes(k.read(addrxlat.KVADDR, int(sys.argv[2], 0), n)).decode())
        print(bytes(k.read(addrxlat.MACHPHYSADDR, int(sys.argv[3], 0), n)).decode())""",
        dir.resolve("vmcore").toString(), va, m.group(1), KernelBoot.linuxBanner().strip());
    String banner = KernelBoot.linuxBanner().strip();
    assertEquals(banner + "\n" + banner, read.strip(), "libkdumpfile at the VA and at vtop's PA");
  }
}
