package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

class TranslateCommandTest {
  private static final long MIB = 1L << 20;
  @TempDir Path dir;

  private Path image(PagingMode mode, long[] rootOut, boolean badPdpte) throws Exception {
    SparseMemory m = Machines.ram(16 * MIB);
    PageTableBuilder b = PageTableBuilder.create(m, mode, new BumpFrameAllocator(8 * MIB, 16 * MIB));
    long text = mode.isLongMode() ? 0xFFFF_FFFF_8100_0000L : 0xC100_0000L;
    b.map(text, 0x100_0000L - 0x100_0000L + 0x40_0000L, 2 * MIB, PageTableEntry.PAGE_KERNEL_EXEC, PageSize.SIZE_2M);
    b.map(0x40_0000L, 0x50_0000L, 4096, PageTableEntry.P | PageTableEntry.US, PageSize.SIZE_4K);
    if (badPdpte) {
      long pdpte = m.readU64(b.root() + 8 * 3);
      m.writeU64(b.root() + 8 * 3, pdpte | PageTableEntry.RW);
    }
    rootOut[0] = b.root();
    Path file = dir.resolve(mode.cliName() + ".img");
    Machines.writeRaw(m, file, 16 * MIB);
    return file;
  }

  @Test
  void translatesAKernelTextAddressThrough4LevelTables() throws Exception {
    long[] root = new long[1];
    Path img = image(PagingMode.LEVEL4, root, false);
    CliRun r = CliRun.of("translate", "--image", img.toString(), "--mode", "4level",
        "--cr3", "0x" + Long.toHexString(root[0]), "0xffffffff81001234");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("0xffffffff81001234 -> 0x401234 (2M page)"), r.out());
    assertTrue(r.out().contains("PML4E[511]"), r.out());
  }

  @Test
  void jsonReportsFaultsWithTheirErrorCodeAndExits1() throws Exception {
    long[] root = new long[1];
    Path img = image(PagingMode.LEVEL4, root, false);
    CliRun r = CliRun.of("translate", "--image", img.toString(), "--mode", "4level",
        "--cr3", Long.toString(root[0]), "--access", "w", "--user", "--json", "0x400000", "0x800000000000");
    assertEquals(1, r.exitCode(), r.err());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals("kexec-sim/translate/v1", doc.get("format").asText());
    JsonNode first = doc.get("results").get(0);
    assertEquals(false, first.get("ok").asBoolean());
    assertEquals("0x7", first.get("fault").get("errorCode").asText(), "P|W|U: user write to a read-only page");
    assertEquals("0x400000", first.get("fault").get("cr2").asText());
    JsonNode second = doc.get("results").get(1);
    assertEquals("#GP", second.get("fault").get("name").asText());
    assertTrue(second.get("fault").get("cr2") == null, "non-canonical #GP leaves CR2 alone");
  }

  @Test
  void aPaePdpteWithRwSetFaultsAtTheCr3Load() throws Exception {
    long[] root = new long[1];
    Path img = image(PagingMode.PAE, root, true);
    CliRun r = CliRun.of("translate", "--image", img.toString(), "--mode", "pae",
        "--cr3", Long.toString(root[0]), "0xc1000000");
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("CR3 load: #GP(0): PDPTE 3"), r.out());
  }

  @Test
  void setAdChangesTheWalkButNotTheImage() throws Exception {
    long[] root = new long[1];
    Path img = image(PagingMode.BITS32, root, false);
    long before = java.nio.file.Files.size(img);
    byte[] bytes = java.nio.file.Files.readAllBytes(img);
    CliRun r = CliRun.of("translate", "--image", img.toString(), "--mode", "32",
        "--cr3", Long.toString(root[0]), "--set-ad", "--access", "r", "0x400000");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("(P US A)"), "the PTE as the walk left it: " + r.out());
    assertEquals(before, java.nio.file.Files.size(img));
    assertTrue(java.util.Arrays.equals(bytes, java.nio.file.Files.readAllBytes(img)));
  }

  @Test
  void usageIoAndInputErrorsHaveTheirExitCodes() throws Exception {
    long[] root = new long[1];
    Path img = image(PagingMode.LEVEL4, root, false);
    assertEquals(2, CliRun.of("translate", "--image", img.toString(), "--mode", "6level", "--cr3", "0", "0").exitCode());
    assertEquals(2, CliRun.of("translate", "--image", img.toString(), "--mode", "4level", "--cr3", "0", "--cr4", "0x20", "--efer", "0", "0").exitCode(),
        "registers that select PAE contradict --mode 4level");
    CliRun missing = CliRun.of("translate", "--image", dir.resolve("nope").toString(), "--mode", "32", "--cr3", "0", "0");
    assertEquals(4, missing.exitCode());
    assertTrue(missing.err().startsWith("kexec-sim: "), missing.err());
    CliRun outside = CliRun.of("translate", "--image", img.toString(), "--mode", "4level", "--cr3", "0x4000000", "0");
    assertEquals(3, outside.exitCode(), outside.out() + outside.err());
    assertEquals("kexec-sim: " + img + ": CR3 0x4000000 puts the PML4 at 0x4000000, outside the image's RAM [0x0-0xffffff]\n",
        outside.err());
    CliRun badMap = CliRun.of("translate", "--image", img.toString(), "--ram-map", "0+1G", "--mode", "32", "--cr3", "0", "0");
    assertEquals(3, badMap.exitCode());
    assertEquals(1, badMap.err().lines().count(), badMap.err());
  }
}
