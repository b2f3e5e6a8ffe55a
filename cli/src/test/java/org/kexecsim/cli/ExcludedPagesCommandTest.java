package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.kdump.KdumpTestWriter;
import org.kexecsim.dump.kdump.PageCodec;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.testing.Machines;

/**
 * Pages a dump level excluded are stated, never read as zeros: vtop says the page is not in the
 * dump (or that a table on the way is not), diff tags the range and does not count it as a
 * difference, checksum says how much it did not cover.
 */
class ExcludedPagesCommandTest {
  static final long DIRECT = Machines.DIRECT_MAP;

  @TempDir Path dir;
  SparseMemory memory;
  long cr3;
  long pte;
  Path elf;

  @BeforeEach
  void machine() throws IOException {
    memory = Machines.ram(16L << 20);
    cr3 = Machines.directMap(memory, 8L << 20, 12L << 20, 4L << 20, PageSize.SIZE_4K).root();
    memory.writeU64(0x123000, 0x1122334455667788L);
    memory.writeU64(0x124000, 0x99);
    elf = dir.resolve("vmcore");
    ElfCoreWriter.write(memory, CoreSpec.vmcore(ElfClass.ELF64, PrStatus.Arch.X86_64, memory.ramMap().ranges(), List.of(),
        Optional.empty(), Optional.empty()), elf, false);
    pte = (memory.readU64(memory.readU64(memory.readU64(cr3 + 273 * 8) & ~0xfffL) & ~0xfffL) & ~0xfffL);
  }

  Path kdump(long... excludedPfns) throws IOException {
    Path p = dir.resolve("dump-" + excludedPfns.length);
    Files.write(p, KdumpTestWriter.of(memory).codec(PageCodec.ZLIB)
        .exclude(pfn -> java.util.Arrays.stream(excludedPfns).anyMatch(x -> x == pfn), 31).file());
    return p;
  }

  String[] paging() {
    return new String[] {"--cr3", "0x" + Long.toHexString(cr3), "--mode", "4level"};
  }

  @Test
  void vtopSaysTheTargetPageIsNotInTheDump() throws IOException {
    Path d = kdump(0x123);
    CliRun r = CliRun.of(concat(new String[] {"vtop", d.toString(), "0xffff888000123008", "0xffff888000124000", "--json"}, paging()));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("\"inDump\" : false"), r.out());
    assertTrue(r.out().contains("\"inDump\" : true"), r.out());
    CliRun text = CliRun.of(concat(new String[] {"vtop", d.toString(), "0xffff888000123008"}, paging()));
    assertTrue(text.out().contains("0x123008 (4K page); that page is not in the dump"), text.out());
  }

  @Test
  void vtopSaysWhenATableOnTheWayIsNotInTheDump() throws IOException {
    Path d = kdump(pte >>> 12);
    CliRun r = CliRun.of(concat(new String[] {"vtop", d.toString(), "0xffff888000123008"}, paging()));
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("page table not in the dump"), r.out());
  }

  @Test
  void rdSaysAnExcludedPageIsNotInTheDumpAndReadsThePagesAroundIt() throws IOException {
    Path d = kdump(0x123);
    CliRun r = CliRun.of(concat(new String[] {"rd", d.toString(), "-w", "64", "-l", "0x2010", "0xffff888000122ff8"}, paging()));
    assertEquals(1, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("ffff888000122ff8:  0000000000000000"), r.out());
    assertTrue(r.out().contains("ffff888000123000-ffff888000124000  4K: physical 0x123000-0x124000 is excluded from the dump (makedumpfile dump level)"), r.out());
    assertTrue(r.out().contains("ffff888000124000:  0000000000000099"), "the page after is read: " + r.out());
    // two excluded pages in a row are one line, virtual or physical (was one line per page, each naming its page)
    Path two = kdump(0x123, 0x124);
    CliRun span = CliRun.of(concat(new String[] {"rd", two.toString(), "-w", "64", "-l", "0x3000", "0xffff888000122000"}, paging()));
    assertEquals(List.of("ffff888000123000-ffff888000125000  8K: physical 0x123000-0x125000 is excluded from the dump (makedumpfile dump level)"),
        span.out().lines().filter(l -> l.contains("excluded")).toList(), span.out());
    CliRun spanP = CliRun.of(concat(new String[] {"rd", two.toString(), "-p", "-w", "64", "-l", "0x3000", "0x122000"}, paging()));
    assertEquals(List.of("0000000000123000-0000000000125000  8K: excluded from the dump (makedumpfile dump level)"),
        spanP.out().lines().filter(l -> l.contains("excluded")).toList(), spanP.out());
    CliRun json = CliRun.of(concat(new String[] {"rd", d.toString(), "--json", "-p", "0x123000", "-l", "16"}, paging()));
    assertTrue(json.out().contains("\"excluded\" : true") && json.out().contains("\"complete\" : false"), json.out());
  }

  @Test
  void diffTagsExcludedRangesAndDoesNotCountThem() throws IOException {
    Path d = kdump(0x123, 0x200, 0x201);
    CliRun r = CliRun.of("diff", elf.toString(), d.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().contains("0x000000123000-0x000000124000       4K [excluded-in-b]"), r.out());
    assertTrue(r.out().contains("0x000000200000-0x000000202000       8K [excluded-in-b]"), r.out());
    assertTrue(r.out().contains("IDENTICAL") && r.out().contains("excluded from a dump, 12K"), r.out());
    assertFalse(r.out().contains("differing pages (4K)"), r.out());
  }

  @Test
  void checksumStatesWhatItCoveredAndItsPageDigestsMatchTheElf() throws IOException {
    Path d = kdump(0x123);
    CliRun r = CliRun.of("checksum", d.toString(), "--per-page");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(imageLine(r.out()).contains("covers only the pages the dump holds: 4K excluded"), r.out());
    assertFalse(r.out().contains("page 0x123000"), "an excluded page has no digest");
    CliRun full = CliRun.of("checksum", elf.toString(), "--per-page");
    String held = full.out().lines().filter(l -> l.endsWith("page 0x124000")).findFirst().orElseThrow();
    assertTrue(r.out().contains(held), "a held page's digest is the ELF's");
    CliRun none = CliRun.of("checksum", kdump().toString());
    assertEquals(imageLine(full.out()), imageLine(none.out()), "nothing excluded: the ELF's digest");
  }

  /** The image digest's line, printed after the streamed page lines. */
  static String imageLine(String out) {
    return out.lines().filter(l -> l.contains("  image (")).findFirst().orElseThrow();
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
