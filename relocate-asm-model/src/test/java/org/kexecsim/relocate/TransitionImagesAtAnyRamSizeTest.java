package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ProgramHeader;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.TransitionDesign;

/**
 * Every arch × design writes its three images at 1, 4, 8 and 64 GiB of RAM, each in the ELF class
 * its producer would pick, and readelf -a reads them without a warning. Sparse memory keeps 64 GiB
 * cheap: the files are mostly holes (the 48 cases took 12 s here). One machine is refused, as
 * Linux refuses it: a 686-pae kernel at 64 GiB with crashkernel=256M, whose FLATMEM mem_map (640
 * MiB of struct pages) lowmem cannot hold in one piece beside the crash region, so
 * alloc_node_mem_map panics (mm/page_alloc.c; FlatMemMap). PAE at 32 GiB (320 MiB) still boots.
 */
class TransitionImagesAtAnyRamSizeTest {
  @TempDir Path dir;

  static Stream<Arguments> machines() {
    List<Arguments> out = new ArrayList<>();
    for (Arch arch : Arch.values()) {
      for (String design : List.of("legacy", "page-table-a", "single-table", "mainline")) {
        for (int gib : new int[] {1, 4, 8, 64}) {
          out.add(Arguments.of(arch, design, gib));
        }
        if (arch == Arch.PAE) {
          out.add(Arguments.of(arch, design, 32));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}G")
  @MethodSource("machines")
  void writesAllThreeImagesInTheProducersClass(Arch arch, String design, int gib) throws Exception {
    long ram = (long) gib << 30;
    if (arch == Arch.PAE && gib == 64) {
      var e = assertThrows(ImpossibleLayoutException.class, () -> TransitionRunner.run(TransitionRequest.of(arch,
          TransitionDesign.fromCliName(design), RamMap.ofSize(ram), "256M", ImageType.CRASH, 7)));
      assertTrue(e.getMessage().contains("640 MiB") && e.getMessage().contains("alloc_node_mem_map"), e.getMessage());
      assertEquals(List.of(), List.of(dir.toFile().list()), "nothing written for a machine the kernel cannot boot");
      return;
    }
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(arch, TransitionDesign.fromCliName(design),
        RamMap.ofSize(ram), "256M", ImageType.CRASH, 7));
    TransitionImages.Written w = TransitionImages.write(r, dir, false);
    // QEMU arch_dump.c: ELF32 for a non-long-mode guest unless memory ends above 4 GiB.
    boolean qemu64 = arch.is64Bit() || ram > 0xFFFF_FFFFL;
    // kexec-tools get_core_type: ELF32 on i386 unless the last dumped range ends above 4 GiB,
    // which only PAE kernels have as RAM (a non-PAE kernel's resources stop at 4 GiB).
    boolean vmcore64 = arch.is64Bit() || (arch == Arch.PAE && ram > 1L << 32);
    assertEquals(qemu64 ? "ELF64" : "ELF32", elfClass(w.pre()));
    assertEquals(qemu64 ? "ELF64" : "ELF32", elfClass(w.post()));
    assertEquals(vmcore64 ? "ELF64" : "ELF32", elfClass(w.vmcore()));
    for (Path p : new Path[] {w.pre(), w.post(), w.vmcore()}) {
      String out = readelf(p, "-a", "-W");
      assertTrue(out.contains(arch.is64Bit() ? "Advanced Micro Devices X86-64" : "Intel 80386"), out);
      try (Dump d = ElfCoreReader.open(p)) {
        assertTrue(d.physicalMemory().ramMap().contains(r.kernel().currentPgd()), p + " holds the crash-time pgd");
      }
    }
    try (Dump vmcore = ElfCoreReader.open(w.vmcore())) {
      // The kernel text PT_LOAD aliases RAM the direct-map PT_LOADs also carry; only x86_64 has one.
      assertEquals(arch.is64Bit() ? 1 : 0, vmcore.kernelTextLoads().size());
      long top = vmcore.physicalMemory().ramMap().ranges().getLast().end();
      long kernelTop = arch == Arch.I386 ? Math.min(ram, 1L << 32) : ram;
      var crash = r.kernel().crashRegion().orElseThrow().range();
      long expected = crash.start() + crash.size() == kernelTop ? crash.start() : kernelTop;
      assertEquals(expected, top, "the vmcore's RAM ends where the kernel's does, less a crash region at the top");
      for (ProgramHeader ph : vmcore.kernelTextLoads()) {
        assertTrue(Long.compareUnsigned(ph.pVaddr(), 0xFFFF_FFFF_8000_0000L) >= 0);
        assertEquals(r.kernel().text().physical(r.kernel().text().virtualStart()), ph.pPaddr());
      }
    }
  }

  private static String elfClass(Path p) throws IOException {
    byte[] ident = new byte[5];
    try (var in = Files.newInputStream(p)) {
      assertEquals(5, in.read(ident));
    }
    return ident[4] == 2 ? "ELF64" : "ELF32";
  }

  /** readelf's output; any "Warning" or "Error" line fails the test. */
  static String readelf(Path file, String... options) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("readelf"));
    cmd.addAll(List.of(options));
    cmd.add(file.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "readelf hung");
    assertEquals(0, p.exitValue(), out);
    assertTrue(!out.contains("Warning") && !out.contains("Error"), out);
    return out;
  }
}
