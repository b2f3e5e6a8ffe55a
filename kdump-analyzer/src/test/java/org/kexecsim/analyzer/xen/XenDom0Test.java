package org.kexecsim.analyzer.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.xen.XenCrashNotes;
import org.kexecsim.xen.XenMachine;

/**
 * vtop --xen-dom0 against a walk done by hand: dom0's own (pseudo-physical) tables read entry by
 * entry with the SDM's index arithmetic, then the pseudo-physical frame looked up in the p2m
 * frame lists of the machine image, also by hand. Neither side uses the walker or P2mFrames.
 */
class XenDom0Test {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(names = {"X86_64", "PAE"})
  void dom0TranslationsAgreeWithAWalkThroughTheP2mByHand(Arch arch) throws Exception {
    CrashedKernel dom0 = KernelBoot.boot(arch, RamMap.ofSize(1L << 30), Optional.empty(), 3);
    XenMachine xen = XenMachine.boot(dom0, 128L << 20);
    Path vmcore = write(xen, true);

    // binutils reads the notes as ELF notes: name "Xen", ten unsigned longs of XEN_ELFNOTE_CRASH_INFO
    String readelf = org.kexecsim.dump.ReadElf.check(vmcore);
    assertTrue(readelf.matches(String.format("(?s).*Xen\\s+0x%08x\\s+Unknown note type: \\(0x01000001\\).*",
        10 * arch.longBytes())), readelf);
    assertTrue(readelf.matches(String.format("(?s).*Xen\\s+0x%08x\\s+Unknown note type: \\(0x01000002\\).*",
        4 * arch.longBytes())), readelf);

    List<Long> vas = new ArrayList<>(List.of(dom0.relocateKernelVirtual(), dom0.linuxBanner(), dom0.text().virtualStart(),
        dom0.directMapVirtual(0x7654_321L), dom0.vmallocPages().getFirst()));
    try (Dump d = ElfCoreReader.open(vmcore)) {
      XenDom0 x = XenDom0.of(d);
      assertEquals(xen.onMachine().registers().cr3(), x.regs().cr3());
      var report = x.translate(d.physicalMemory(), vas);
      for (int i = 0; i < vas.size(); i++) {
        long va = vas.get(i);
        long pseudo = byHand(dom0.memory(), arch, dom0.registers().cr3(), va);
        long machine = p2mByHand(d.physicalMemory(), arch.longBytes(), xen.p2mFrameListListMfn(), pseudo);
        VtopResult r = report.results().get(i);
        assertEquals(machine, r.physical().orElseThrow(), String.format("machine address of 0x%x", va));
        assertEquals(pseudo, x.pseudoPhysical(machine), String.format("pseudo-physical address of 0x%x", va));
        assertNotEquals(pseudo, machine);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"X86_64"})
  void aVmcoreWithoutXenNotesIsRejectedInOneLine(Arch arch) throws Exception {
    XenMachine xen = XenMachine.boot(KernelBoot.boot(arch, RamMap.ofSize(1L << 30), Optional.empty(), 3), 128L << 20);
    try (Dump d = ElfCoreReader.open(write(xen, false))) {
      var e = assertThrows(AnalysisException.class, () -> XenDom0.of(d));
      assertTrue(e.getMessage().contains("not a Xen host's vmcore"), e.getMessage());
    }
  }

  /** The p2m's frame list list MFN comes from the file: one outside RAM is named, not followed. */
  @ParameterizedTest
  @EnumSource(names = {"PAE"})
  void aP2mOutsideTheImageIsRejectedInOneLine(Arch arch) throws Exception {
    XenMachine xen = XenMachine.boot(KernelBoot.boot(arch, RamMap.ofSize(1L << 30), Optional.empty(), 3), 128L << 20);
    int w = arch.longBytes();
    var lying = new XenCrashNotes.CrashInfo(3, 0, XenMachine.XEN_PHYS_START, 0xF_FFFF);
    CoreSpec spec = CoreSpec.vmcore(ElfClass.ELF64, PrStatus.Arch.I386, xen.machine().ramMap().ranges(), List.of(),
        Optional.empty(), Optional.empty()).withNotes(List.of(
            new CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_REGS, xen.crashRegs().descriptor(w)),
            new CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_INFO, lying.descriptor(w))));
    Path out = dir.resolve("lying");
    ElfCoreWriter.write(xen.machine(), spec, out, true);
    try (Dump d = ElfCoreReader.open(out)) {
      var e = assertThrows(AnalysisException.class, () -> XenDom0.of(d));
      assertTrue(e.getMessage().contains("pfn_to_mfn_frame_list_list at machine frame 0xfffff is outside"), e.getMessage());
      assertEquals(AnalysisException.Kind.BAD_INPUT, e.kind());
    }
  }

  private Path write(XenMachine xen, boolean notes) throws Exception {
    Arch arch = xen.arch();
    var ram = xen.machine().ramMap().ranges();
    CoreSpec spec = CoreSpec.vmcore(ElfClass.ELF64, arch.is64Bit() ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386, ram,
        List.of(), Optional.empty(), Optional.empty());
    if (notes) {
      int w = arch.longBytes();
      spec = spec.withNotes(List.of(
          new CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_REGS, xen.crashRegs().descriptor(w)),
          new CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_INFO, xen.crashInfo().descriptor(w))));
    }
    Path out = dir.resolve(notes ? "vmcore" : "plain");
    ElfCoreWriter.write(xen.machine(), spec, out, true);
    return out;
  }

  /** The walk of SDM §4.4 (PAE) / §4.5 (4-level), one entry at a time, on dom0's own tables. */
  private static long byHand(PhysicalMemory m, Arch arch, long cr3, long va) {
    long addr = 0x000F_FFFF_FFFF_F000L;
    long table;
    int level;
    if (arch == Arch.PAE) {
      long pdpte = m.readU64((cr3 & 0xFFFF_FFE0L) + 8 * ((va >>> 30) & 3));
      assertTrue((pdpte & 1) != 0);
      table = pdpte & addr;
      level = 2;
    } else {
      table = cr3 & addr;
      level = 4;
    }
    for (; level >= 1; level--) {
      int shift = 12 + 9 * (level - 1);
      long e = m.readU64(table + 8 * ((va >>> shift) & 511));
      assertTrue((e & 1) != 0, String.format("level %d entry of 0x%x present", level, va));
      if (level == 1 || (e & 0x80) != 0) {
        long size = 1L << shift;
        return (e & addr & -size) | (va & (size - 1));
      }
      table = e & addr;
    }
    throw new AssertionError("unreachable");
  }

  /** pfn → mfn through the frame list list, its frame lists and the p2m pages, by index arithmetic. */
  private static long p2mByHand(PhysicalMemory m, int w, long topMfn, long pseudo) {
    long per = 4096 / w;
    long pfn = pseudo >>> 12;
    long leafIndex = pfn / per;
    long mid = read(m, (topMfn << 12) + w * (leafIndex / per), w);
    long leaf = read(m, (mid << 12) + w * (leafIndex % per), w);
    long mfn = read(m, (leaf << 12) + w * (pfn % per), w);
    return mfn << 12 | (pseudo & 0xFFF);
  }

  private static long read(PhysicalMemory m, long pa, int w) {
    return w == 8 ? m.readU64(pa) : m.readU32(pa);
  }
}
