package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;

class ElfCoreRoundTripTest {
  @TempDir Path dir;

  static final RamMap MAP = RamMap.of(RamRange.usable(0, 0xA0000), RamRange.usable(0x100000, 63L << 20));

  /** A machine with random bytes in scattered pages, so content and holes both matter. */
  static SparseMemory machine(long seed) {
    SparseMemory m = new SparseMemory(MAP);
    Random r = new Random(seed);
    byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
    for (int i = 0; i < 200; i++) {
      RamRange range = MAP.ranges().get(r.nextInt(2));
      long pa = range.start() + ((r.nextLong() & Long.MAX_VALUE) % (range.size() / 4096)) * 4096;
      r.nextBytes(page);
      m.write(pa, page, 0, page.length);
    }
    return m;
  }

  static RegisterFile regs(long cr3) {
    return RegisterFile.EMPTY.with(Register.RIP, 0xffffffff81000000L).with(Register.RSP, 0xffffc90000003f00L)
        .with(Register.CR0, 0x80050033L).with(Register.CR3, cr3).with(Register.CR4, 0x3606f0L)
        .with(Register.EFER, 0xd01L).with(Register.CS, 0x10);
  }

  static void assertSameContent(PhysicalMemory expected, PhysicalMemory actual, List<RamRange> ranges) {
    byte[] a = new byte[PhysicalMemory.PAGE_SIZE];
    byte[] b = new byte[PhysicalMemory.PAGE_SIZE];
    for (RamRange r : ranges) {
      for (long pa = r.start(); pa < r.end(); pa += a.length) {
        expected.read(pa, a, 0, a.length);
        actual.read(pa, b, 0, b.length);
        assertArrayEquals(a, b, String.format("page 0x%x", pa));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ElfClass.class)
  void qemuLayoutRoundTripsMemoryCpuNotesAndVmcoreinfo(ElfClass cls) throws Exception {
    SparseMemory m = machine(1);
    VmcoreInfo info = VmcoreInfo.builder().osRelease("6.12.0").pageSize(4096)
        .symbol("init_top_pgt", 0xffffffff82a0a000L).number("phys_base", 0).number("pgtable_l5_enabled", 0).build();
    Path out = dir.resolve("qemu-" + cls + ".core");
    ElfCoreWriter.write(m, CoreSpec.qemu(cls, PrStatus.Arch.X86_64, MAP.ranges(),
        List.of(new CpuSnapshot(1, regs(0x1234000)), new CpuSnapshot(2, regs(0x5678000))), Optional.of(info)), out, false);
    ReadElf.check(out);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(Optional.of(cls), d.elfClass());
      assertEquals(MAP, d.memory().ramMap());
      assertSameContent(m, d.memory(), MAP.ranges());
      assertEquals(2, d.prStatus().size());
      assertEquals(1, d.prStatus().get(0).pid());
      assertEquals(0xffffffff81000000L, d.prStatus().get(1).registers().get(Register.RIP).getAsLong());
      assertEquals(2, d.qemuCpuStates().size());
      assertEquals(0x5678000L, d.qemuCpuStates().get(1).registers().get(Register.CR3).getAsLong());
      assertEquals(QemuCpuState.CS_FLAG_L, d.qemuCpuStates().get(0).csFlags() & QemuCpuState.CS_FLAG_L);
      VmcoreInfo read = d.vmcoreInfo().orElseThrow();
      assertEquals(0xffffffff82a0a000L, read.symbol("init_top_pgt").getAsLong());
      assertEquals(Optional.of("6.12.0"), read.osRelease());
      assertEquals(4096, read.pageSize().getAsLong());
    }
  }

  @Test
  void vmcoreLayoutLeavesOutTheCrashRegionAndPageAlignsNotesAndLoads() throws Exception {
    SparseMemory m = machine(2);
    RamRange crash = RamRange.usable(16L << 20, 16L << 20);
    Path out = dir.resolve("vmcore");
    ElfCoreWriter.write(m, CoreSpec.vmcore(ElfClass.ELF32, PrStatus.Arch.I386, MAP.ranges(),
        List.of(new CpuSnapshot(7, regs(0x1000))), Optional.empty(), Optional.of(crash)), out, false);
    String readelf = ReadElf.check(out);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(3, d.loads().size());
      assertFalse(d.memory().ramMap().contains(crash.start()));
      assertFalse(d.memory().ramMap().contains(crash.last()));
      assertTrue(d.memory().ramMap().contains(crash.end()));
      for (ProgramHeader ph : d.loads()) {
        assertEquals(0, ph.pOffset() % 4096, "PT_LOAD file offsets are page-aligned as in fs/proc/vmcore.c");
        assertEquals(CoreSpec.PAGE_OFFSET_I386 + ph.pPaddr(), ph.pVaddr() & 0xFFFF_FFFFL);
      }
      assertEquals(PrStatus.Arch.I386, d.prStatus().getFirst().arch());
      assertEquals(7, d.prStatus().getFirst().pid());
      assertEquals(0xffffffff81000000L & 0xFFFF_FFFFL, d.prStatus().getFirst().registers().get(Register.RIP).getAsLong());
      assertSameContent(m, d.memory(), ElfCoreWriter.subtract(MAP.ranges(), crash));
    }
    assertTrue(readelf.contains("NT_PRSTATUS"), readelf);
  }

  @Test
  void holesAreNotWrittenSoTheFileIsSparse() throws Exception {
    SparseMemory m = new SparseMemory(RamMap.ofSize(1L << 30));
    m.writeU64(0x1234_5000L, 0xfeed);
    Path out = dir.resolve("sparse.core");
    ElfCoreWriter.write(m, CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, m.ramMap().ranges(), List.of(),
        Optional.empty()), out, false);
    assertTrue(Files.size(out) > 1L << 30);
    Object blocks = Files.getAttribute(out, "unix:size");
    assertTrue((long) blocks > 0);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(0xfeed, d.memory().readU64(0x1234_5000L));
      assertEquals(0, d.memory().readU64(0x3000_0000L));
    }
  }

  /**
   * A machine past ext4's 16 TiB file limit: laid out one PT_LOAD per range, its core's last byte
   * would be at 17 TiB and the write fails with EFBIG ("File too large", demo --ram 16T did). Cut
   * at its zero runs, the file holds only the data, and every page reads back, zeros included.
   */
  @ParameterizedTest
  @EnumSource(CoreLayout.class)
  void aMachineBeyondTheFileSizeLimitIsCutAtItsZeroRunsAndReadsBackWhole(CoreLayout layout) throws Exception {
    long ram = 17L << 40;
    SparseMemory m = new SparseMemory(RamMap.ofSize(ram));
    long[] at = {0x1000L, 0x1000L + 255 * 4096, 8L << 40, ram - 4096};
    for (long pa : at) {
      m.writeU64(pa, pa ^ 0x5a5a);
    }
    CoreSpec spec = layout == CoreLayout.QEMU
        ? CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, m.ramMap().ranges(), List.of(new CpuSnapshot(1, regs(0x1000))), Optional.empty())
        : CoreSpec.vmcore(ElfClass.ELF64, PrStatus.Arch.X86_64, m.ramMap().ranges(), List.of(new CpuSnapshot(1, regs(0x1000))),
            Optional.empty(), Optional.empty());
    Path out = dir.resolve(layout + "-17T.core");
    ElfCoreWriter.write(m, spec, out, false);
    assertTrue(Files.size(out) < 64L << 20, "file of " + Files.size(out) + " bytes");
    String readelf = ReadElf.check(out);
    // a leading load of zeros only (page 0, p_filesz 0); one holding the first two data pages,
    // whose 254 zero pages between are under makedumpfile's PFN_EXCLUDED (256) and are kept;
    // one each for the other two
    assertEquals(4, readelf.lines().filter(l -> l.trim().startsWith("LOAD")).count(), readelf);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(ram, d.memory().ramMap().usableBytes());
      assertTrue(d.memory().ramMap().containsRange(0, ram));
      for (long pa : at) {
        assertEquals(pa ^ 0x5a5a, d.memory().readU64(pa), String.format("0x%x", pa));
      }
      for (long pa : new long[] {0, 0x2000, 0x1000L + 254 * 4096, 4L << 40, (8L << 40) + 4096, ram - 8}) {
        assertEquals(0, d.memory().readU64(pa), String.format("0x%x", pa));
      }
    }
  }

  /**
   * The cut's boundary: a zero run of {@link ElfCoreWriter#MIN_SKIPPED_RUN} (256 pages, makedumpfile's
   * PFN_EXCLUDED) ends a load, one page shorter stays inside it. Either way every byte reads back.
   */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {255, 256})
  void aCutCoreSplitsAtZeroRunsOf256PagesAndKeepsShorterOnes(int zeroPages) throws Exception {
    long ram = 17L << 40;
    SparseMemory m = new SparseMemory(RamMap.ofSize(ram));
    long first = 0;
    long second = first + (1 + zeroPages) * 4096L; // page 0 holds data, then zeroPages of zeros
    m.writeU64(first, 0x1111);
    m.writeU64(second, 0x2222);
    CoreSpec spec = CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, m.ramMap().ranges(),
        List.of(new CpuSnapshot(1, regs(0x1000))), Optional.empty());
    Path out = dir.resolve("gap" + zeroPages + ".core");
    ElfCoreWriter.write(m, spec, out, false);
    String readelf = ReadElf.check(out);
    // one load from page 0 (both data pages when merged, the rest of RAM as p_memsz), or two
    long expected = zeroPages * 4096L >= ElfCoreWriter.MIN_SKIPPED_RUN ? 2 : 1;
    assertEquals(expected, readelf.lines().filter(l -> l.trim().startsWith("LOAD")).count(), readelf);
    try (Dump d = ElfCoreReader.open(out)) {
      assertEquals(0x1111, d.memory().readU64(first));
      assertEquals(0x2222, d.memory().readU64(second));
      assertEquals(0, d.memory().readU64(second - 8));
      assertEquals(0, d.memory().readU64(second + 4096));
      assertEquals(0, d.memory().readU64(ram - 8));
    }
  }

  @Test
  void refusesToReplaceAnExistingFileUnlessForced() throws Exception {
    SparseMemory m = machine(3);
    Path out = dir.resolve("exists.core");
    Files.writeString(out, "keep me");
    CoreSpec spec = CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, MAP.ranges(), List.of(), Optional.empty());
    org.kexecsim.output.OutputException refused =
        assertThrows(org.kexecsim.output.OutputException.class, () -> ElfCoreWriter.write(m, spec, out, false));
    assertEquals(org.kexecsim.output.OutputException.Kind.EXISTS, refused.kind());
    assertEquals("keep me", Files.readString(out));
    ElfCoreWriter.write(m, spec, out, true);
    try (Dump d = ElfCoreReader.open(out)) {
      assertSameContent(m, d.memory(), MAP.ranges());
    }
    try (var files = Files.list(dir)) {
      assertEquals(List.of(out), files.toList(), "no temporary file is left behind");
    }
  }

  @Test
  void rawImageIsPhysicalMemoryAtFileOffsetEqualToAddress() throws Exception {
    Path raw = dir.resolve("raw.img");
    byte[] bytes = new byte[3 * 4096];
    bytes[0x1ffe] = 0x34;
    bytes[0x1fff] = 0x12;
    Files.write(raw, bytes);
    try (Dump d = RawImage.open(raw, RamMap.parse("0-0x2fff"))) {
      assertEquals(0x1234, d.memory().readU16(0x1ffe));
    }
    MalformedDumpException e = assertThrows(MalformedDumpException.class, () -> RawImage.open(raw, RamMap.parse("0+16K")));
    assertEquals(raw + ": offset 0x0: RAM map range [0x0-0x3fff] extends past the end of the image (size 0x3000)", e.getMessage());
  }

  @Test
  void elf32RefusesMemoryAbove4GibInsteadOfTruncatingAddresses() {
    SparseMemory m = new SparseMemory(RamMap.parse("0+1M,0x100000000+1M"));
    CoreSpec spec = CoreSpec.qemu(ElfClass.ELF32, PrStatus.Arch.I386, m.ramMap().ranges(), List.of(), Optional.empty());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ElfCoreWriter.write(m, spec, dir.resolve("big.core"), false));
    assertTrue(e.getMessage().startsWith("ELF32 cannot describe a segment at paddr 0x100000000"), e.getMessage());
    try (var files = java.nio.file.Files.list(dir)) {
      assertEquals(0, files.count(), "nothing is left behind");
    } catch (java.io.IOException io) {
      throw new java.io.UncheckedIOException(io);
    }
  }
}
