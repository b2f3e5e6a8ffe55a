package org.kexecsim.analyzer.checksum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
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

class ImageChecksumTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(DigestAlgorithm.class)
  void theSameMemoryAsElfAsRawAndInMemoryHasTheSameDigests(DigestAlgorithm algo) throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 8);
    ChecksumReport simulated = ImageChecksum.compute(machine.memory(), algo, false, 0);
    try (Dump elf = ElfCoreReader.open(machine.writeQemu(dir.resolve("core"), ElfClass.ELF64));
        Dump raw = RawImage.open(SimulatedMachine.writeRaw(machine.memory(), dir.resolve("raw")), SimulatedMachine.RAM)) {
      ChecksumReport fromElf = ImageChecksum.compute(elf.physicalMemory(), algo, false, 2);
      ChecksumReport fromRaw = ImageChecksum.compute(raw.physicalMemory(), algo, false, 1);
      assertEquals(simulated, fromElf);
      assertEquals(simulated, fromRaw);
      assertEquals(2, fromElf.ranges().size());
    }
  }

  @Test
  void sha256DigestsFollowTheDocumentedTreeAndPagesEqualPlainSha256() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.PAE, 9);
    SparseMemory m = machine.memory();
    ChecksumReport r = ImageChecksum.compute(m, DigestAlgorithm.SHA256, true, 1);
    MessageDigest image = MessageDigest.getInstance("SHA-256");
    for (RamRange range : m.ramMap().ranges()) {
      MessageDigest rangeDigest = MessageDigest.getInstance("SHA-256");
      for (long off = 0; off < range.size(); off += ImageChecksum.CHUNK) {
        byte[] chunk = new byte[(int) Math.min(ImageChecksum.CHUNK, range.size() - off)];
        m.read(range.start() + off, chunk, 0, chunk.length);
        rangeDigest.update(MessageDigest.getInstance("SHA-256").digest(chunk));
      }
      byte[] rd = rangeDigest.digest();
      image.update(ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(range.start()).putLong(range.size()).array());
      image.update(rd);
    }
    assertEquals(HexFormat.of().formatHex(image.digest()), r.image());
    assertEquals("sha256-tree-4M", r.scheme());
    byte[] page = new byte[4096];
    long pa = SimulatedMachine.USER_PA + 0x3000;
    m.read(pa, page, 0, page.length);
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(page));
    assertEquals(expected, r.pages().stream().filter(p -> p.physical() == pa).findFirst().orElseThrow().digest());
    assertEquals(SimulatedMachine.RAM.usableBytes() / 4096, r.pages().size());
  }

  @Test
  void verifyingAgainstASavedListNamesTheChangedPageAndItsRange() throws Exception {
    SimulatedMachine machine = SimulatedMachine.build(PagingMode.LEVEL4, 10);
    ChecksumReport saved = ChecksumReport.fromJson(ReportJson.MAPPER.readTree(ReportJson.write(
        ImageChecksum.compute(machine.memory(), DigestAlgorithm.BLAKE3, true, 0).toJson())));
    assertTrue(ImageChecksum.verify(machine.memory(), saved, 0).matches());

    SparseMemory changed = machine.memory().copy();
    changed.writeU8(0x345678, 1);
    try (Dump d = ElfCoreReader.open(machine.writeQemu(changed, dir.resolve("changed"), ElfClass.ELF64, machine.registers()))) {
      ChecksumVerification v = ImageChecksum.verify(d.physicalMemory(), saved, 2);
      assertEquals(List.of("image", "range 0x100000-0xfffffff", "page 0x345000"), v.mismatches());
      assertNotEquals(saved.image(), v.current().image());
    }
  }
}
