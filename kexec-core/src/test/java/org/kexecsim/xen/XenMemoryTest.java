package org.kexecsim.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.pagetable.BumpFrameAllocator;

class XenMemoryTest {
  @Test
  void p2mAndM2pAreInverses() {
    P2m p = P2m.ofExtents(1000, 256, new long[] {0x9000, 0x5000, 0x7000, 0x3000});
    assertEquals(0x9000 + 5, p.mfn(5));
    assertEquals(0x5000 + 3, p.mfn(256 + 3));
    assertEquals(P2m.INVALID, p.mfn(1000));
    for (long pfn = 0; pfn < 1000; pfn += 37) {
      assertEquals(pfn, p.pfn(p.mfn(pfn)));
    }
    assertEquals(P2m.INVALID, p.pfn(0x1234));
    assertEquals(0x5003_123L, p.machine(0x103_123L));
    assertEquals(0x103_123L, p.pseudoPhysical(0x5003_123L));
    assertThrows(IllegalArgumentException.class, () -> P2m.of(new long[] {7, 7}));
    // a frame the packed m2p cannot hold is refused, not silently truncated into another frame
    assertThrows(IllegalArgumentException.class, () -> P2m.of(new long[] {1L << 32}));
    assertEquals(P2m.INVALID, p.pfn(0x9000L | 1L << 32));
  }

  @ParameterizedTest
  @EnumSource(names = {"X86_64", "PAE"})
  void frameListListRoundTrips(Arch arch) {
    SparseMemory m = new SparseMemory(RamMap.ofSize(64L << 20));
    long[] t = new long[3000];
    for (int i = 0; i < t.length; i++) {
      t[i] = 0x2000 + (t.length - i) * 3L;
    }
    P2m p = P2m.of(t);
    long top = P2mFrames.write(m, p, arch.longBytes(), new BumpFrameAllocator(1L << 20, 8L << 20));
    P2m back = P2mFrames.read(m, top, arch.longBytes(), 1 << 20);
    assertEquals(p.pages(), back.pages());
    for (int pfn = 0; pfn < t.length; pfn++) {
      assertEquals(t[pfn], back.mfn(pfn));
    }
    // a top frame outside RAM is named, not followed
    var e = assertThrows(IllegalArgumentException.class, () -> P2mFrames.read(m, 0x10_0000, arch.longBytes(), 1 << 20));
    assertTrue(e.getMessage().contains("pfn_to_mfn_frame_list_list"), e.getMessage());
  }

  @Test
  void crashNotesRoundTripAtBothWidths() {
    var info = new XenCrashNotes.CrashInfo(3, 0, 0x100000, 0x4321);
    for (int w : new int[] {4, 8}) {
      byte[] d = info.descriptor(w);
      assertEquals(10 * w, d.length);
      assertEquals(info, XenCrashNotes.CrashInfo.parse(d, w));
      var regs = new XenCrashNotes.CrashRegs(0x80050033L, 0, 0x1234000, 0x6f0);
      assertEquals(regs, XenCrashNotes.CrashRegs.parse(regs.descriptor(w), w));
    }
    assertThrows(IllegalArgumentException.class, () -> XenCrashNotes.CrashInfo.parse(new byte[72], 8));
  }

  /**
   * dom0's tables converted to machine frames translate every address to p2m(what the
   * pseudo-physical tables translate it to): the PV invariant, checked on the kernel's text, its
   * direct map and a process's pages.
   */
  @ParameterizedTest
  @EnumSource(names = {"X86_64", "PAE"})
  void pvTablesTranslateThroughTheP2m(Arch arch) {
    CrashedKernel k = KernelBoot.boot(arch, RamMap.ofSize(1L << 30), Optional.empty(), 7);
    long extent = arch == Arch.X86_64 ? 1L << 30 : 64L << 20;
    long pages = (k.memory().ramMap().end() + extent - 1) / extent * (extent >> 12);
    int n = (int) (pages / (extent >> 12));
    long[] extents = new long[n];
    for (int i = 0; i < n; i++) {
      extents[i] = (long) (n - i + 1) * (extent >> 12); // reversed, above a hypervisor extent
    }
    P2m p2m = P2m.ofExtents(pages, extent >> 12, extents);
    SparseMemory machine = new SparseMemory(RamMap.ofSize((n + 2L) * extent));
    var c = PvTables.convert(k.memory(), arch.pagingMode(), k.allRoots(), p2m, machine);
    assertTrue(c.entries() > 50 && c.tables() > 3, c.toString());

    LinuxControl lc = LinuxControl.of(arch.pagingMode());
    CpuFeatures cpu = CpuFeatures.withMaxPhyAddr(40);
    PagingState pseudo = lc.load(k.registers().cr3(), k.memory(), cpu).orThrow(r -> new IllegalStateException(r.toString()));
    long machineCr3 = p2m.machine(k.registers().cr3() & ~0xFFFL) | (k.registers().cr3() & 0xFFF);
    PagingState onMachine = lc.load(machineCr3, machine, cpu).orThrow(r -> new IllegalStateException(r.toString()));
    long[] vas = {k.relocateKernelVirtual(), k.directMapVirtual(0x123_4567), k.linuxBanner(), k.vmallocPages().getFirst()};
    for (long va : vas) {
      var a = (Translation.Mapped) PageWalker.translate(k.memory(), pseudo, va, Access.READ);
      var b = (Translation.Mapped) PageWalker.translate(machine, onMachine, va, Access.READ);
      assertEquals(p2m.machine(a.physical()), b.physical(), String.format("0x%x", va));
      assertNotEquals(a.physical(), b.physical());
    }
  }
}
