package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.testing.Machines;

/**
 * Each malformed file gives exactly one MalformedDumpException naming the file, the offset of
 * the bad field and the problem; never another exception, a hang or an allocation of the size
 * the file claims. The files are a valid ELF64 QEMU core patched at known offsets:
 *
 * <pre>
 *   0   Elf64_Ehdr (e_phnum at 56)
 *  64   PT_NOTE phdr   120 PT_LOAD [0, 0x2000)   176 PT_LOAD [0x10000, 0x11000)
 * 232   notes: NT_PRSTATUS (n_namesz at 232, n_descsz at 236; 12+8+336 bytes), QEMU (12+8+432)
 * 0x410 memory [0, 0x2000), 0x2410 memory [0x10000, 0x11000), 0x3410 end of file
 * </pre>
 */
class HostileDumpTest {
  static final long NOTE_PHDR = 64;
  static final long LOAD1 = 120;
  static final long LOAD2 = 176;
  static final long FIRST_NOTE = 232;
  // Elf64_Phdr field offsets (gABI)
  static final int P_OFFSET = 8;
  static final int P_PADDR = 24;
  static final int P_FILESZ = 32;
  static final int P_MEMSZ = 40;

  @TempDir Path dir;
  Path core;

  @BeforeEach
  void writeValidCore() throws IOException {
    SparseMemory m = new SparseMemory(RamMap.parse("0-0x1fff,0x10000-0x10fff"));
    m.writeU64(0x10, 0x1122334455667788L);
    core = Machines.writeQemuCore(m, RegisterFile.EMPTY.with(Register.CR3, 0x1000), Optional.empty(), dir.resolve("vmcore-a"));
    try (Dump d = ElfCoreReader.open(core)) {
      assertEquals(0x1122334455667788L, d.memory().readU64(0x10), "the unpatched core is valid");
    }
  }

  void patch64(long offset, long value) throws IOException {
    patch(offset, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
  }

  void patch32(long offset, int value) throws IOException {
    patch(offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
  }

  void patch16(long offset, int value) throws IOException {
    patch(offset, ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value));
  }

  void patch(long offset, ByteBuffer b) throws IOException {
    try (FileChannel ch = FileChannel.open(core, StandardOpenOption.WRITE)) {
      ch.write(b, offset);
    }
  }

  String error() {
    return assertThrows(MalformedDumpException.class, () -> ElfCoreReader.open(core).close()).getMessage();
  }

  @Test
  void programHeadersBeyondTheFile() throws IOException {
    patch16(56, 0x7fff);
    assertEquals(core + ": offset 0x38: e_phnum 32767 program headers at e_phoff 0x40 extend past the end of the file (size 0x3410)", error());
  }

  @Test
  void segmentPastEndOfFile() throws IOException {
    patch64(LOAD2 + P_FILESZ, 0x100000);
    patch64(LOAD2 + P_MEMSZ, 0x100000);
    assertEquals(core + ": offset 0xb0: PT_LOAD p_offset 0x2410 + p_filesz 0x100000 is past the end of the file (size 0x3410)", error());
  }

  @Test
  void segmentOffsetPlusSizeOverflows64Bits() throws IOException {
    patch64(LOAD1 + P_OFFSET, 0xFFFF_FFFF_FFFF_F000L);
    assertEquals(core + ": offset 0x78: PT_LOAD p_offset 0xfffffffffffff000 + p_filesz 0x2000 overflows 64 bits", error());
  }

  @Test
  void overlappingLoads() throws IOException {
    patch64(LOAD2 + P_PADDR, 0x1000);
    assertEquals(core + ": offset 0xb0: PT_LOAD [0x1000-0x2000) overlaps PT_LOAD [0x0-0x2000)", error());
  }

  @Test
  void fileSizeLargerThanMemorySize() throws IOException {
    patch64(LOAD1 + P_MEMSZ, 0x1000);
    assertEquals(core + ": offset 0x78: PT_LOAD p_filesz 0x2000 exceeds p_memsz 0x1000", error());
  }

  @Test
  void twoToThe63ByteSegment() throws IOException {
    patch64(LOAD2 + P_FILESZ, 0);
    patch64(LOAD2 + P_MEMSZ, 1L << 63);
    assertEquals(core + ": offset 0xb0: PT_LOAD p_paddr 0x10000 + p_memsz 0x8000000000000000 reaches past 2^52, the largest x86 physical address space", error());
  }

  @Test
  void noteDescriptorLargerThanItsSegment() throws IOException {
    patch32(FIRST_NOTE + 4, 0x7fffffff);
    assertEquals(core + ": offset 0xec: PT_NOTE n_descsz 0x7fffffff exceeds the segment", error());
  }

  @Test
  void aNoteWithoutANameIsSkippedAndTheNotesAfterItAreStillRead() throws IOException {
    // gABI: n_namesz 0 is a legal, nameless note. The first note (CORE, name padded to 8 bytes)
    // becomes one whose descriptor also spans the old name, so the next note stays in place.
    long descsz;
    try (FileChannel ch = FileChannel.open(core, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(b, FIRST_NOTE + 4);
      descsz = b.getInt(0) & 0xFFFF_FFFFL;
    }
    patch32(FIRST_NOTE, 0);
    patch32(FIRST_NOTE + 4, (int) (descsz + 8));
    try (Dump d = ElfCoreReader.open(core)) {
      assertTrue(d.prStatus().isEmpty(), "the nameless note is no NT_PRSTATUS");
      assertEquals(1, d.qemuCpuStates().size(), "the QEMU note after it is read");
      assertEquals(0x1000, d.qemuCpuStates().getFirst().registers().getOrZero(Register.CR3));
    }
  }

  @Test
  void noteNameSizeThatWouldWrapWhenAligned() throws IOException {
    patch32(FIRST_NOTE, 0xffffffff);
    assertEquals(core + ": offset 0xe8: PT_NOTE n_namesz 0xffffffff exceeds the segment", error());
  }

  @Test
  void prstatusOfNoKnownLayout() throws IOException {
    patch32(FIRST_NOTE + 4, 100);
    assertEquals(core + ": offset 0xec: NT_PRSTATUS n_descsz 0x64 is neither the x86_64 (336) nor the i386 (144) elf_prstatus", error());
  }

  @Test
  void noRam() throws IOException {
    patch32(LOAD1, 0x6474e551); // PT_GNU_STACK: not memory
    patch32(LOAD2, 0x6474e551);
    assertEquals(core + ": offset 0x40: no PT_LOAD segment with memory: the dump holds no RAM", error());
  }

  @Test
  void notAnElfFile() throws IOException {
    Files.writeString(core, "MZ this is not a core");
    assertEquals(core + ": offset 0x0: not an ELF file (no \\x7fELF magic)", error());
  }

  @Test
  void truncatedHeader() throws IOException {
    byte[] head = Files.readAllBytes(core);
    Files.write(core, java.util.Arrays.copyOf(head, 40));
    assertEquals(core + ": offset 0x0: file is 40 bytes, shorter than the 64-byte ELF header", error());
  }

  @Test
  void emptyFile() throws IOException {
    Files.write(core, new byte[0]);
    assertEquals(core + ": offset 0x0: not an ELF file (no \\x7fELF magic)", error());
  }

  @Test
  void aLoadWhoseFileSizeIsBelowItsMemorySizeReadsZerosPastTheFileBytes() throws IOException {
    patch64(LOAD1 + P_FILESZ, 0x8); // only the first 8 bytes of [0, 0x2000) are in the file
    try (Dump d = ElfCoreReader.open(core)) {
      assertEquals(0, d.memory().readU64(0x10), "ELF gABI: bytes past p_filesz up to p_memsz are zero");
      assertEquals(0x2000, d.memory().ramMap().ranges().getFirst().size());
      assertEquals(false, d.memory().mayBeNonZero(0x1000));
    }
  }

  @Test
  void absurdlyManyProgramHeadersViaPnXnum() throws IOException {
    patch16(56, 0xffff); // PN_XNUM: the count is sh_info of section header 0
    patch64(40, 0x410); // e_shoff: section header 0 placed over the (zero) memory bytes at 0x410
    patch16(58, 64); // e_shentsize
    patch32(0x410 + 44, 0x7fff_ffff); // Elf64_Shdr.sh_info
    assertEquals(core + ": offset 0x38: e_phnum 2147483647: more than 1048576 program headers is not a dump this reader accepts", error());
  }

  @Test
  void pnXnumWithoutASectionHeaderTableIsRefusedNotReadFromTheElfHeader() throws IOException {
    patch16(56, 0xffff); // PN_XNUM, and e_shoff stays 0: section header 0 would be the ELF header's bytes
    assertEquals(core + ": offset 0x28: e_phnum is PN_XNUM (0xffff), which puts the count in section header 0, but e_shoff is 0: the file has no section header table", error());
    patch64(40, 0x410);
    assertEquals(core + ": offset 0x3a: e_shentsize 0, expected 64 for ELF64 (e_phnum PN_XNUM reads section header 0)", error());
  }
}
