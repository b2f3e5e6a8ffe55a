package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.Register;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.TransitionDesign;

/** The images a transition writes are ELF cores other tools read: readelf, and our reader. */
class TransitionImagesTest {
  @TempDir Path dir;

  private static String readelf(Path file) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("readelf", "-h", "-l", "-n", file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "readelf hung");
    assertEquals(0, p.exitValue(), out);
    assertTrue(!out.contains("Warning") && !out.contains("Error"), out);
    return out;
  }

  private static boolean haveReadelf() {
    try {
      return new ProcessBuilder("readelf", "--version").start().waitFor() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void preAndPostCarryTheRegistersAndCr3AndReadelfAcceptsAllThree(Arch arch) throws Exception {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(arch, TransitionDesign.fromCliName("mainline"),
        RamMap.ofSize(1L << 30), "64M", ImageType.CRASH, 3));
    TransitionImages.Written w = TransitionImages.write(r, dir, false);
    try (Dump pre = ElfCoreReader.open(w.pre()); Dump post = ElfCoreReader.open(w.post()); Dump vmcore = ElfCoreReader.open(w.vmcore())) {
      assertEquals(r.kernel().registers().cr3(), pre.qemuCpuStates().getFirst().registers().get(Register.CR3).getAsLong());
      assertEquals(r.finalState().cr3(), post.qemuCpuStates().getFirst().registers().get(Register.CR3).getAsLong());
      long page = r.kernel().currentPgd();
      assertTrue(pre.physicalMemory().pageEquals(page, r.pre(), page), "the pre image holds the crash-time pgd");
      long crashStart = r.kernel().crashRegion().orElseThrow().range().start();
      assertTrue(pre.physicalMemory().ramMap().contains(crashStart), "the QEMU-style image holds all RAM");
      assertTrue(!vmcore.physicalMemory().ramMap().contains(crashStart), "/proc/vmcore leaves out the crash region");
      assertTrue(vmcore.vmcoreInfo().orElseThrow().text().contains("OSRELEASE="));
    }
    if (haveReadelf()) {
      for (Path p : new Path[] {w.pre(), w.post(), w.vmcore()}) {
        String out = readelf(p);
        assertTrue(out.contains("CORE (Core file)"), out);
        assertTrue(out.contains(arch.is64Bit() ? "ELF64" : "ELF32"), out);
      }
    }
  }
}
