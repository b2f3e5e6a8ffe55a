package org.kexecsim.relocate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.kdump.CompressedMemory;
import org.kexecsim.dump.kdump.KdumpReader;
import org.kexecsim.kernel.PageRole;
import org.kexecsim.kernel.PageRoles;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.transition.TransitionDesign;

/**
 * makedumpfile (Debian's 1.7.2; its i386 build for i386 and PAE) as the oracle of the synthetic
 * kernel's struct pages: it filters the vmcore {@code transition --out} writes, reading
 * mem_section and the vmemmap (x86_64) or mem_map (i386, FLATMEM) and every struct page through
 * VMCOREINFO and the kernel's page tables, and the pages it leaves out at each dump
 * level are exactly those the kernel gave a role that level excludes ({@link PageRole#excludedAt}),
 * page for page; every page it keeps holds the vmcore's bytes.
 *
 * <p>RAM sizes: 1 GiB in one range at every level, and at -d 31 a QEMU-like 5 GiB map with the
 * PCI hole below 4 GiB (RAM above 4 GiB, sections absent, a page only partly RAM). Larger
 * machines only cost makedumpfile's zero check, which reads every page of the file, holes
 * included (about 3 s a GiB here): 64 GiB would take minutes a level, so the any-RAM-size test
 * checks those images with readelf only.
 */
class TransitionImagesMakedumpfileTest {
  @TempDir Path dir;

  static Stream<Arguments> machines() {
    RamMap fiveWithHole = RamMap.parse("0-0x9fbff,0x100000-0xbffdffff,0x100000000-0x13fffffff");
    return Stream.of(
        Arguments.of(Arch.X86_64, "1G", RamMap.ofSize(1L << 30), 7L, new int[] {1, 2, 4, 8, 16, 31}),
        Arguments.of(Arch.X86_64, "5G-with-hole", fiveWithHole, 11L, new int[] {31}),
        // i386 and PAE: FLATMEM's mem_map in lowmem (FlatMemMap), read by Debian's i386 build.
        Arguments.of(Arch.I386, "1G", RamMap.ofSize(1L << 30), 7L, new int[] {1, 2, 4, 8, 16, 31}),
        Arguments.of(Arch.PAE, "1G", RamMap.ofSize(1L << 30), 7L, new int[] {1, 2, 4, 8, 16, 31}),
        // highmem above lowmem and above 4 GiB: struct pages in lowmem for frames the direct map lacks
        Arguments.of(Arch.PAE, "5G-with-hole", fiveWithHole, 11L, new int[] {31}));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("machines")
  void excludesExactlyThePagesTheKernelMarked(Arch arch, String name, RamMap ram, long seed, int[] levels) throws Exception {
    String tool;
    if (arch.is64Bit()) {
      assumeTrue(org.kexecsim.testing.RealDumps.onPath("makedumpfile"), "makedumpfile is not installed (Debian package makedumpfile): skipping the oracle");
      tool = "makedumpfile";
    } else {
      // Debian's amd64 makedumpfile refuses i386 vmcores; its i386 build reads them.
      tool = ExternalOracles.makedumpfileI386().map(Path::toString).orElse(null);
      assumeTrue(tool != null, "Debian's i386 makedumpfile is not unpacked or cannot run (scripts/real-dump-inputs.sh, .ci/run)");
    }
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(arch, TransitionDesign.fromCliName("mainline"),
        ram, "256M", ImageType.CRASH, seed));
    TransitionImages.Written w = TransitionImages.write(r, dir, false);
    PageRoles roles = r.kernel().pageRoles();
    long crashStart = r.kernel().crashRegion().orElseThrow().start();

    try (Dump vmcore = ElfCoreReader.open(w.vmcore())) {
      PhysicalMemory elf = vmcore.physicalMemory();
      List<RamRange> ranges = elf.ramMap().ranges();
      // The role of every page of the vmcore, once.
      Map<PageRole, Long> counts = new EnumMap<>(PageRole.class);
      List<long[]> pages = new ArrayList<>(); // {pfn, role}
      // Whole pages only: the kernel has no page that is only partly RAM (memblock trims
      // e820 ranges to pages); makedumpfile marks such a page RAM but never dumps it.
      List<Long> partial = new ArrayList<>();
      for (RamRange rr : ranges) {
        long first = (rr.start() + PhysicalMemory.PAGE_SIZE - 1) >>> 12;
        long end = (rr.last() + 1) >>> 12;
        if ((rr.start() & 0xFFF) != 0) {
          partial.add(rr.start() >>> 12);
        }
        if (((rr.last() + 1) & 0xFFF) != 0) {
          partial.add(rr.last() >>> 12);
        }
        for (long pfn = first; pfn < end; pfn++) {
          PageRole role = roles.roleOf(pfn, elf);
          counts.merge(role, 1L, Long::sum);
          pages.add(new long[] {pfn, role.ordinal()});
        }
      }
      for (PageRole role : List.of(PageRole.PAGE_CACHE, PageRole.PAGE_CACHE_PRIVATE, PageRole.ANON, PageRole.FREE,
          PageRole.ZERO, PageRole.KERNEL, PageRole.PAGE_TABLE)) {
        assertTrue(counts.getOrDefault(role, 0L) > 0, "the vmcore has " + role + " pages: " + counts);
      }
      assertFalse(counts.containsKey(PageRole.CRASH_REGION), "the crash region is not in the vmcore");

      for (int level : levels) {
        Path out = dir.resolve("d" + level);
        String log = makedumpfile(tool, "-c", "-d", Integer.toString(level), w.vmcore().toString(), out.toString());
        try (Dump kdump = KdumpReader.open(List.of(out))) {
          PhysicalMemory filtered = kdump.physicalMemory();
          CompressedMemory zeros = (CompressedMemory) filtered;
          assertFalse(filtered.ramMap().contains(crashStart), "the crash region is not RAM of the filtered dump");
          List<String> wrong = new ArrayList<>();
          for (long pfn : partial) {
            if (!filtered.isExcluded(pfn << 12)) {
              wrong.add(String.format("pfn 0x%x, only partly RAM: dumped", pfn));
            }
          }
          long excluded = 0;
          for (long[] p : pages) {
            long pa = p[0] << 12;
            PageRole role = PageRole.values()[(int) p[1]];
            boolean expected = role.excludedAt(level);
            // A zero page is left out of a kdump-compressed file by sharing pd_zero's data, not
            // by the bitmap (CompressedMemory.isSharedZeroPage).
            boolean actual = filtered.isExcluded(pa) || zeros.isSharedZeroPage(pa);
            if (expected != actual) {
              if (wrong.size() < 10) {
                wrong.add(String.format("pfn 0x%x (%s): %s", p[0], role, actual ? "excluded" : "kept"));
              }
              continue;
            }
            if (filtered.isExcluded(pa)) {
              excluded++;
            } else if ((role != PageRole.ZERO || level == PageRole.DL_EXCLUDE_FREE) && !filtered.pageEquals(pa, elf, pa)) {
              // Every kept page at -d 16 (zero pages too), the non-zero ones at every level.
              wrong.add(String.format("pfn 0x%x (%s): kept with other bytes than the vmcore's", p[0], role));
            }
          }
          assertEquals(List.of(), wrong, "-d " + level + " on " + name + " (" + counts + ")\n" + log);
          long want = 0;
          for (Map.Entry<PageRole, Long> e : counts.entrySet()) {
            want += e.getKey() != PageRole.ZERO && e.getKey().excludedAt(level) ? e.getValue() : 0;
          }
          assertEquals(want, excluded, "-d " + level + ": pages out of the 2nd bitmap");
        }
      }
    }
  }

  /** Runs makedumpfile, which must succeed; returns what it printed. */
  static String makedumpfile(String tool, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tool));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "makedumpfile hung");
    assertEquals(0, p.exitValue(), cmd + "\n" + out);
    return out;
  }
}
