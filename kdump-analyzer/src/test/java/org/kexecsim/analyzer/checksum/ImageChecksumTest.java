package org.kexecsim.analyzer.checksum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.SimulatedMachine;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.RawImage;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PagingMode;

/**
 * The image digest is the plain digest of the RAM ranges concatenated in address order: the
 * oracles are the stock tools run on that concatenation written as a file (sha256sum, b3sum),
 * and xxhsum -H3 / sha256sum on single pages.
 */
class ImageChecksumTest {
  @TempDir Path dir;

  record Page(long physical, String digest) {}

  static ChecksumReport compute(PhysicalMemory m, DigestAlgorithm algo, DigestAlgorithm pageAlgo, int threads, List<Page> pages) {
    return ImageChecksum.compute(m, new ImageChecksum.Request(algo, true, pageAlgo, threads),
        (pa, d) -> pages.add(new Page(pa, d)), Progress.NONE);
  }

  @ParameterizedTest
  @EnumSource(value = DigestAlgorithm.class, names = {"SHA256", "BLAKE3"})
  void theSameMemoryAsElfAsRawAndInMemoryHasTheSameDigests(DigestAlgorithm algo) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 8);
    ChecksumReport simulated = compute(machine.memory(), algo, null, 0, new ArrayList<>());
    try (Dump elf = ElfCoreReader.open(machine.writeQemu(dir.resolve("core"), ElfClass.ELF64));
        Dump raw = RawImage.open(SimulatedMachine.writeRaw(machine.memory(), dir.resolve("raw")), SimulatedMachine.RAM)) {
      ChecksumReport fromElf = compute(elf.physicalMemory(), algo, null, 2, new ArrayList<>());
      ChecksumReport fromRaw = compute(raw.physicalMemory(), algo, null, 1, new ArrayList<>());
      assertEquals(simulated, fromElf);
      assertEquals(simulated, fromRaw);
      assertEquals(2, fromElf.ranges().size());
    }
  }

  /** The RAM ranges of {@code m} concatenated in address order, as a file. */
  private Path concatenated(PhysicalMemory m, String name) throws IOException {
    Path out = dir.resolve(name);
    try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      byte[] buf = new byte[1 << 20];
      for (RamRange r : m.ramMap().ranges()) {
        for (long off = 0; off < r.size(); off += buf.length) {
          int n = (int) Math.min(buf.length, r.size() - off);
          m.read(r.start() + off, buf, 0, n);
          ch.write(ByteBuffer.wrap(buf, 0, n));
        }
      }
    }
    return out;
  }

  static String tool(String... command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, command[0] + " is not installed (.ci/run installs it)");
      throw e;
    }
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
    return out;
  }

  @ParameterizedTest
  @EnumSource(value = DigestAlgorithm.class, names = {"SHA256", "BLAKE3"})
  void theImageDigestIsTheStockToolsDigestOfTheRangesConcatenated(DigestAlgorithm algo) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 11);
    Path stream = concatenated(machine.memory(), "stream.bin");
    String oracle = tool(algo == DigestAlgorithm.SHA256 ? "sha256sum" : "b3sum", stream.toString()).split("\\s+")[0];
    try (Dump elf = ElfCoreReader.open(machine.writeQemu(dir.resolve("core"), ElfClass.ELF64))) {
      for (int threads : new int[] {1, 2}) {
        assertEquals(oracle, compute(elf.physicalMemory(), algo, null, threads, new ArrayList<>()).image(), threads + " threads");
      }
      // each range alone equals the tool on that range's bytes
      RamRange low = SimulatedMachine.RAM.ranges().getFirst();
      byte[] bytes = new byte[(int) low.size()];
      elf.physicalMemory().read(low.start(), bytes, 0, bytes.length);
      Path lowFile = Files.write(dir.resolve("low.bin"), bytes);
      String lowOracle = tool(algo == DigestAlgorithm.SHA256 ? "sha256sum" : "b3sum", lowFile.toString()).split("\\s+")[0];
      assertEquals(lowOracle, compute(elf.physicalMemory(), algo, null, 2, new ArrayList<>()).ranges().getFirst().digest());
    }
  }

  @ParameterizedTest
  @EnumSource(value = DigestAlgorithm.class, names = {"XXH3", "SHA256"})
  void pageDigestsStreamInAddressOrderAndEqualTheStockToolOnEachPage(DigestAlgorithm pageAlgo) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.PAE, 9);
    SparseMemory m = machine.memory();
    try (Dump elf = ElfCoreReader.open(machine.writeQemu(dir.resolve("core"), ElfClass.ELF64))) {
      List<Page> pages = new ArrayList<>();
      ChecksumReport r = compute(elf.physicalMemory(), DigestAlgorithm.SHA256, pageAlgo, 2, pages);
      assertEquals(SimulatedMachine.RAM.usableBytes() / 4096, pages.size());
      assertEquals(pages.size(), r.pages());
      for (int i = 1; i < pages.size(); i++) {
        assertTrue(pages.get(i).physical() > pages.get(i - 1).physical(), "ascending at " + i);
      }
      for (long pa : new long[] {SimulatedMachine.USER_PA + 0x3000, SimulatedMachine.TABLES, 0x5000_000L}) {
        byte[] page = new byte[4096];
        m.read(pa, page, 0, page.length);
        Path f = Files.write(dir.resolve("page-" + Long.toHexString(pa)), page);
        String oracle = pageAlgo == DigestAlgorithm.XXH3
            ? tool("xxhsum", "-H3", f.toString()).trim().replaceAll(".*= ", "")
            : tool("sha256sum", f.toString()).split("\\s+")[0];
        assertEquals(oracle, pages.stream().filter(p -> p.physical() == pa).findFirst().orElseThrow().digest(), Long.toHexString(pa));
      }
    }
  }

  @Test
  void verifyingAgainstASavedListNamesTheChangedPageAndTheImage() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 10);
    java.io.StringWriter json = new java.io.StringWriter();
    java.io.PrintWriter pw = new java.io.PrintWriter(json);
    try (ChecksumWriter w = ChecksumWriter.json(pw, DigestAlgorithm.BLAKE3, DigestAlgorithm.XXH3)) {
      w.finish(ImageChecksum.compute(machine.memory(), new ImageChecksum.Request(DigestAlgorithm.BLAKE3, false, DigestAlgorithm.XXH3, 0),
          w, Progress.NONE));
    }
    DigestList saved = DigestList.fromJson(ReportJson.MAPPER.readTree(json.toString()));
    assertEquals(SimulatedMachine.RAM.usableBytes() / 4096, saved.pageAddresses().length);
    assertTrue(ChecksumVerification.verify(machine.memory(), saved, 0, Progress.NONE).matches());

    SparseMemory changed = machine.memory().copy();
    changed.writeU8(0x345678, 1);
    try (Dump d = ElfCoreReader.open(machine.writeQemu(changed, dir.resolve("changed"), ElfClass.ELF64, machine.registers()))) {
      ChecksumVerification v = ChecksumVerification.verify(d.physicalMemory(), saved, 2, Progress.NONE);
      assertEquals(List.of("image", "page 0x345000"), v.mismatches());
      assertNotEquals(saved.image(), v.current().image());
    }
  }
}
