package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.testing.Machines;

/** The analysis commands end to end: exit codes, one-line errors, JSON format tags. */
class DumpCommandsTest {
  static final long DIRECT = Machines.DIRECT_MAP;

  @TempDir Path dir;
  SparseMemory memory;
  long cr3;
  Path before;

  Path write(SparseMemory m, String name) throws IOException {
    return Machines.writeQemuCore(m, Machines.longModeRegisters(cr3), Optional.empty(), dir.resolve(name));
  }

  @BeforeEach
  void machine() throws IOException {
    memory = Machines.ram(64L << 20);
    cr3 = Machines.directMap(memory, 32L << 20, 48L << 20, 32L << 20, PageSize.SIZE_2M).root();
    memory.writeU64(0x123000, 0x1122334455667788L);
    before = write(memory, "before");
  }

  @Test
  void vtopTranslatesThroughTheCr3OfTheQemuNote() {
    CliRun r = CliRun.of("vtop", before.toString(), "0xffff888000123008", "--verbose");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("0xffff888000123008 -> 0x123008 (2M page)"), r.out());
    assertTrue(r.out().contains("QEMU note of CPU 0"), r.out());
    assertTrue(r.out().contains("PML4E[273]"), r.out());
    assertEquals(1, CliRun.of("vtop", before.toString(), "0x1000").exitCode(), "an unmapped address is a negative verdict");
  }

  @Test
  void ptdumpJsonCarriesItsFormatTagAndHexAddresses() {
    CliRun r = CliRun.of("ptdump", before.toString(), "--json");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("\"format\" : \"kexec-sim/ptdump/v1\""), r.out());
    assertTrue(r.out().contains("\"start\" : \"0xffff888000000000\""), r.out());
  }

  @Test
  void verifyPgdExitsZeroWhenPreservedAndOneWhenAnEntryChanged() throws IOException {
    assertEquals(0, CliRun.of("verify-pgd", before.toString(), write(memory.copy(), "same").toString()).exitCode());
    SparseMemory after = memory.copy();
    after.writeU64(cr3 + 8 * 273, 0);
    CliRun r = CliRun.of("verify-pgd", before.toString(), write(after, "after").toString());
    assertEquals(1, r.exitCode(), r.err());
    assertTrue(r.out().contains("NOT PRESERVED"), r.out());
    assertTrue(r.out().contains("[273]"), r.out());
  }

  @Test
  void verifyPgdToleratesAccessedBitsAHardwareWalkSetUnlessStrict() throws IOException {
    long entry = cr3 + 8 * 273;
    SparseMemory untouched = memory.copy();
    untouched.writeU64(entry, memory.readU64(entry) & ~PageTableEntry.A);
    Path b = write(untouched, "untouched");
    Path a = write(memory.copy(), "walked"); // the old tables were walked once more: A set again
    CliRun tolerant = CliRun.of("verify-pgd", b.toString(), a.toString());
    assertEquals(0, tolerant.exitCode(), tolerant.out() + tolerant.err());
    assertTrue(tolerant.out().contains("1 table pages changed: 0 by software, 1 only A/D set by hardware walks"), tolerant.out());
    assertTrue(tolerant.out().contains("(A/D set by a hardware walk)"), tolerant.out());
    CliRun strict = CliRun.of("verify-pgd", b.toString(), a.toString(), "--strict", "--json");
    assertEquals(1, strict.exitCode(), strict.out() + strict.err());
    assertTrue(strict.out().contains("\"format\" : \"kexec-sim/verify-pgd/v2\""), strict.out());
    assertTrue(strict.out().contains("\"kind\" : \"accessed-dirty\""), strict.out());
  }

  @Test
  void verifyPgdOnAVmcoreAloneChecksTheVmcoreinfoRootAndSaysWhatOneImageShows() throws IOException {
    long kernelMap = 0xffff_ffff_8000_0000L;
    PageTableBuilder b = PageTableBuilder.onExisting(memory, PagingMode.LEVEL4, cr3, new BumpFrameAllocator(48L << 20, 56L << 20));
    b.map(kernelMap, 0, 64L << 20, PageTableEntry.PAGE_KERNEL, PageSize.SIZE_2M); // the kernel image mapping
    org.kexecsim.dump.VmcoreInfo info = org.kexecsim.dump.VmcoreInfo.builder().osRelease("6.1.0")
        .symbol("init_top_pgt", kernelMap + cr3).symbol("_stext", kernelMap + 0x100_0000).number("phys_base", 0).build();
    Path vmcore = dir.resolve("vmcore");
    ElfCoreWriter.write(memory, CoreSpec.vmcore(ElfClass.ELF64, PrStatus.Arch.X86_64, memory.ramMap().ranges(),
        List.of(), Optional.of(info), Optional.empty()), vmcore, false);
    CliRun r = CliRun.of("verify-pgd", vmcore.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().startsWith(String.format("VMCOREINFO kernel root: 4level, root 0x%x", cr3)), r.out());
    assertTrue(r.out().contains("INTACT:") && r.out().contains("2 of 2 VMCOREINFO symbols translate"), r.out());
    assertTrue(r.out().contains("note: one image"), r.out());
    CliRun j = CliRun.of("verify-pgd", vmcore.toString(), "--json");
    assertTrue(j.out().contains("\"images\" : 1"), j.out());
  }

  @Test
  void aPaeGuestWhosePdpteQemuMarkedAccessedTranslatesAndEveryCommandReportsTheBit() throws IOException {
    // Before this, each command refused the file: "PDPTE 3 = 0x…021 … sets reserved bits 0x20".
    SparseMemory m = new SparseMemory(RamMap.ofSize(64L << 20));
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.PAE, new BumpFrameAllocator(32L << 20, 48L << 20));
    b.map(0xC000_0000L, 0, 32L << 20, PageTableEntry.PAGE_KERNEL, PageSize.SIZE_2M);
    long pdpt = b.root();
    m.writeU64(pdpt + 24, m.readU64(pdpt + 24) | PageTableEntry.A); // what QEMU TCG's walk leaves there
    m.writeU64(0x123000, 0x1122334455667788L);
    long[] c = Machines.controlFor(PagingMode.PAE);
    RegisterFile regs = RegisterFile.EMPTY.with(Register.CR0, c[0]).with(Register.CR3, pdpt).with(Register.CR4, c[1]);
    Path core = dir.resolve("pae");
    ElfCoreWriter.write(m, CoreSpec.qemu(ElfClass.ELF32, PrStatus.Arch.I386, m.ramMap().ranges(),
        List.of(new CpuSnapshot(1, regs)), Optional.empty()), core, false);
    String finding = String.format("reserved bits: PDPTE[3] @0x%x = 0x%x sets reserved bits 0x20 (A)", pdpt + 24,
        m.readU64(pdpt + 24));

    CliRun v = CliRun.of("vtop", core.toString(), "0xc0123008");
    assertEquals(0, v.exitCode(), v.out() + v.err());
    assertTrue(v.out().contains("0x00000000c0123008 -> 0x123008 (2M page)"), v.out());
    assertTrue(v.out().contains(finding), v.out());
    CliRun vj = CliRun.of("vtop", core.toString(), "0xc0123008", "--json");
    assertTrue(vj.out().contains("\"bits\" : \"0x20\""), vj.out());
    CliRun p = CliRun.of("ptdump", core.toString());
    assertEquals(0, p.exitCode(), p.err());
    assertTrue(p.out().contains(finding), p.out());
    assertTrue(CliRun.of("ptdump", core.toString(), "--json").out().contains("\"reservedBitEntries\" : 1"));
    CliRun g = CliRun.of("verify-pgd", core.toString(), core.toString());
    assertEquals(0, g.exitCode(), g.out() + g.err());
    assertTrue(g.out().contains(finding), g.out());
    assertTrue(CliRun.of("verify-pgd", core.toString(), core.toString(), "--json").out().contains("\"bitNames\" : \"A\""));
  }

  @Test
  void diffAndChecksumVerifyReportTheChangedPage() throws IOException {
    SparseMemory after = memory.copy();
    after.writeU8(0x200010, 7);
    Path changed = write(after, "changed");
    CliRun d = CliRun.of("diff", before.toString(), changed.toString());
    assertEquals(1, d.exitCode(), d.err());
    assertTrue(d.out().startsWith("0x000000200000-0x000000201000"), d.out());
    assertTrue(d.out().contains(String.format("page-table tags from A's 4level, root 0x%x (QEMU note of CPU 0", cr3)), d.out());
    assertTrue(CliRun.of("diff", before.toString(), changed.toString(), "--json").out().contains("\"rootSource\" : \"QEMU note of CPU 0"));

    CliRun saved = CliRun.of("checksum", before.toString(), "--json", "--per-page", "--algo", "sha256");
    assertEquals(0, saved.exitCode(), saved.err());
    Path list = dir.resolve("digests.json");
    Files.writeString(list, saved.out());
    assertEquals(0, CliRun.of("checksum", before.toString(), "--verify", list.toString()).exitCode());
    CliRun v = CliRun.of("checksum", changed.toString(), "--verify", list.toString());
    assertEquals(1, v.exitCode());
    assertTrue(v.out().contains("MISMATCH page 0x200000"), v.out());
  }

  @Test
  void aCorruptDumpIsOneLineAndExitThree() throws IOException {
    try (FileChannel ch = FileChannel.open(before, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, 0x7000_0000_0000L), 32); // e_phoff
    }
    CliRun r = CliRun.of("ptdump", before.toString());
    assertEquals(3, r.exitCode());
    assertEquals("kexec-sim: " + before + ": offset 0x38: e_phnum 2 program headers at e_phoff 0x700000000000 extend past the end"
        + " of the file (size " + String.format("0x%x", Files.size(before)) + ")", r.err().strip());
  }

  @Test
  void usageAndIoErrors() {
    assertEquals(2, CliRun.of("vtop", before.toString(), "--mode", "bogus", "0x1000").exitCode());
    assertEquals(2, CliRun.of("checksum", before.toString(), "--algo", "md5").exitCode());
    CliRun noCr3 = CliRun.of("vtop", before.toString().replace("before", "missing"), "0x1000");
    assertEquals(4, noCr3.exitCode(), noCr3.err());
  }

  @Test
  void badOptionValuesAreOneUsageLineNamingTheOption() {
    CliRun absentCpu = CliRun.of("vtop", before.toString(), "--cpu", "999", "0x1000");
    assertEquals(2, absentCpu.exitCode(), absentCpu.err());
    assertEquals("kexec-sim: --cpu 999: " + before + " has QEMU CPU notes for CPUs 0-0 (see: kexec-sim vtop --help)"
        + System.lineSeparator(), absentCpu.err(), "no silent fallback to CPU 0");
    CliRun negativeCpu = CliRun.of("ptdump", before.toString(), "--cpu", "-3");
    assertEquals(2, negativeCpu.exitCode(), negativeCpu.err());
    assertEquals(1, negativeCpu.err().lines().count(), negativeCpu.err());
    assertTrue(negativeCpu.err().startsWith("kexec-sim: --cpu -3: a CPU number is 0 or more"), negativeCpu.err());
    for (String command : List.of("checksum", "diff")) {
      List<String> args = new java.util.ArrayList<>(List.of(command, before.toString()));
      if (command.equals("diff")) {
        args.add(before.toString());
      }
      args.addAll(List.of("--threads", "-1"));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), r.err());
      assertEquals(1, r.err().lines().count(), "one line, no usage page: " + r.err());
      assertTrue(r.err().contains("a worker count is 0 (one per core) or more"), r.err());
    }
  }

  @Test
  void aRawImageNeedsCr3AndModeOrItIsAUsageError() throws Exception {
    Path raw = dir.resolve("raw.img");
    try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      byte[] page = new byte[4096];
      for (long pfn : memory.presentFrameNumbers()) {
        memory.read(pfn << 12, page, 0, page.length);
        ch.write(ByteBuffer.wrap(page), pfn << 12);
      }
      ch.write(ByteBuffer.allocate(1), (64L << 20) - 1);
    }
    CliRun unasked = CliRun.of("vtop", raw.toString(), "0xffff888000123008");
    assertEquals(3, unasked.exitCode(), "raw memory is read only with --format raw: " + unasked.err());
    assertTrue(unasked.err().contains("--format raw"), unasked.err());
    CliRun mapWithoutFormat = CliRun.of("vtop", raw.toString(), "--ram-map", "0+64M", "0x0");
    assertEquals(2, mapWithoutFormat.exitCode(), mapWithoutFormat.err());
    CliRun missing = CliRun.of("vtop", raw.toString(), "--format", "raw", "0xffff888000123008");
    assertEquals(2, missing.exitCode(), missing.err());
    assertTrue(missing.err().contains("pass --mode"), missing.err());
    CliRun ok = CliRun.of("vtop", raw.toString(), "--format", "raw", "--ram-map", "0+64M", "--cr3", Long.toHexString(cr3),
        "--mode", "4level", "0xffff888000123008");
    assertEquals(0, ok.exitCode(), ok.err());
    CliRun same = CliRun.of("checksum", raw.toString(), "--format", "raw", "--ram-map", "0+64M");
    assertEquals(CliRun.of("checksum", before.toString()).out(), same.out(), "raw and ELF of one memory: one digest");
    // the digest is the stock tool's on the raw file, whose bytes are exactly that RAM
    assertEquals(64L << 20, Files.size(raw));
    Process p = new ProcessBuilder("sha256sum", raw.toString()).start();
    String oracle = new String(p.getInputStream().readAllBytes()).split("\\s+")[0];
    assertEquals(0, p.waitFor());
    assertEquals("sha256:" + oracle, same.out().split("\\s+")[0]);
  }
}
