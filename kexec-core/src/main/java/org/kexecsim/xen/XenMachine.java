package org.kexecsim.xen;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL_EXEC;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.kexecsim.kernel.ControlRegisters;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.DescriptorTable;
import org.kexecsim.kernel.KernelProcess;
import org.kexecsim.kernel.KernelText;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;

/**
 * A Xen host with dom0 as a PV guest. Machine memory holds, from the bottom: the hypervisor's
 * own region (its image, its page tables, its stack, the p2m frame lists), the crash region
 * Xen reserved for itself (crashkernel= on Xen's command line, in machine addresses), and
 * dom0's pseudo-physical memory in extents with each pair of neighbours swapped, so that no dom0
 * page sits at its own address and dom0's memory map (its RAM, its holes) is not the machine's.
 * With PAE the crashing CPU's PDPT must be below 4 GiB (CR3 holds 32 bits, SDM §4.4.1); 32-bit
 * Xen keeps a low copy of a guest's L3 for that, which is not modelled: a dom0 whose current
 * PDPT would land above 4 GiB is refused.
 *
 * <p>dom0's tables are rewritten to machine frames ({@link PvTables}), and every dom0 root gets
 * the hypervisor's slot linked in, as Xen does when a PV guest's top-level table is pinned
 * (init_guest_l4_table() copies Xen's PML4 slots; a PAE guest's L2 for 3-4 GiB carries Xen's
 * entries): the hypervisor runs on whatever CR3 the crashing CPU has, dom0's included. The
 * hypervisor's 2 MiB window there holds its text page, its stack and, at the top, the fixmap
 * slots machine_kexec_load() maps the kexec pages at (xen/arch/x86/machine_kexec.c:
 * set_fixmap(FIX_KEXEC_BASE_0 + k, ma), the VA handed back in page_list's odd slots).
 *
 * <p>Simplifications, named: one dom0 vCPU; dom0's extents are whole large pages (1 GiB on
 * x86_64, 64 MiB on PAE) so its large-page leaves stay contiguous; the p2m frame lists are
 * kept in the hypervisor's region, where a real dom0 keeps them in its own memory.
 */
public final class XenMachine {
  /** XEN_VIRT_START of Xen 4.x on x86_64: PML4 slot 261, inside the 16 slots (256-271) Xen reserves. */
  public static final long WINDOW_X86_64 = 0xFFFF_82D0_8000_0000L;
  /** A 2 MiB window in what 32-bit PAE Xen reserves above HYPERVISOR_VIRT_START_PAE (0xF5800000). */
  public static final long WINDOW_PAE = 0xFF00_0000L;
  /** The machine address Xen's image starts at (xen_phys_start in the crash note). */
  public static final long XEN_PHYS_START = 0x10_0000L;
  private static final int STACK_SLOT = 1;
  /** The p2m and m2p are arrays of 2^24 entries at most here: 256 MiB of heap for a 64 GiB dom0. */
  public static final long MAX_DOM0_BYTES = 64L << 30;
  /** Where the hypervisor's tables, stack and p2m lists start, above its image. */
  private static final long TABLES_START = 2L << 20;
  /** Its window's tables (L3, L2, L1) and stack. */
  private static final int HYPERVISOR_PAGES = 4;
  private static final int FIXMAP_SLOTS = 32;

  private final Arch arch;
  private final CrashedKernel dom0;
  private final CrashedKernel onMachine;
  private final P2m p2m;
  private final long extentBytes;
  private final PhysicalRange hypervisor;
  private final long windowVirtual;
  private final long windowL1;
  private final long stackPhysical;
  private final long p2mTopMfn;
  private final PvTables.Conversion conversion;
  private int fixmapUsed;

  private XenMachine(Arch arch, CrashedKernel dom0, CrashedKernel onMachine, P2m p2m, long extentBytes, PhysicalRange hypervisor,
      long windowVirtual, long windowL1, long stackPhysical, long p2mTopMfn, PvTables.Conversion conversion) {
    this.arch = arch;
    this.dom0 = dom0;
    this.onMachine = onMachine;
    this.p2m = p2m;
    this.extentBytes = extentBytes;
    this.hypervisor = hypervisor;
    this.windowVirtual = windowVirtual;
    this.windowL1 = windowL1;
    this.stackPhysical = stackPhysical;
    this.p2mTopMfn = p2mTopMfn;
    this.conversion = conversion;
  }

  /** The size of one dom0 extent: whole leaves of the largest page dom0's direct map uses. */
  public static long extentBytes(Arch arch) {
    return switch (arch) {
      case X86_64 -> 1L << 30;
      case PAE -> 64L << 20;
      case I386 -> throw new org.kexecsim.kimage.ImpossibleLayoutException("Xen runs PV guests with PAE or 4-level paging, not i386 without PAE");
    };
  }

  /**
   * Puts {@code dom0} (booted in its own pseudo-physical space, without a crash region of its
   * own) on a machine with a crash region of {@code crashBytes} reserved by the hypervisor.
   */
  public static XenMachine boot(CrashedKernel dom0, long crashBytes) {
    Arch arch = dom0.arch();
    long extent = extentBytes(arch);
    if (dom0.crashRegion().isPresent()) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException("under Xen the crash region is the hypervisor's; dom0 reserves none");
    }
    long dom0Extents = (dom0.memory().ramMap().end() + extent - 1) / extent;
    if (dom0Extents * extent > MAX_DOM0_BYTES) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format(
          "dom0 spans %d MiB; this model's p2m is one array per pfn and holds dom0s up to %d GiB",
          dom0Extents * extent >> 20, MAX_DOM0_BYTES >> 30));
    }
    long crashExtents = Math.max(1, (crashBytes + extent - 1) / extent);
    // the hypervisor's region: its image from xen_phys_start, its tables and stack, then the p2m lists
    int per = P2mFrames.perPage(arch.longBytes());
    long leaves = (dom0Extents * (extent >>> PhysicalMemory.PAGE_SHIFT) + per - 1) / per;
    long hvBytes = TABLES_START + (leaves + (leaves + per - 1) / per + 1 + HYPERVISOR_PAGES) * PhysicalMemory.PAGE_SIZE;
    long hvExtents = (hvBytes + extent - 1) / extent;
    long crashStart = hvExtents * extent; // right above the hypervisor's region
    long firstDom0 = hvExtents + crashExtents;
    long machineEnd = (firstDom0 + dom0Extents) * extent;
    if (!arch.is64Bit() && machineEnd > (64L << 30)) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException("PAE addresses 64 GiB of machine memory; this layout needs " + (machineEnd >> 20) + " MiB");
    }
    long[] extents = new long[(int) dom0Extents];
    for (int i = 0; i < dom0Extents; i++) {
      // neighbours swapped (a last odd one keeps its place): low pfns stay low, none at its own address
      int at = (i ^ 1) < dom0Extents ? i ^ 1 : i;
      extents[i] = (firstDom0 + at) * (extent >>> PhysicalMemory.PAGE_SHIFT);
    }
    P2m p2m = P2m.ofExtents(dom0Extents * (extent >>> PhysicalMemory.PAGE_SHIFT), extent >>> PhysicalMemory.PAGE_SHIFT, extents);
    // the machine's map: the legacy hole below 1 MiB, then one range: not dom0's map
    SparseMemory machine = new SparseMemory(RamMap.of(RamRange.usable(0, 0xA_0000), RamRange.usable(0x10_0000, machineEnd - 0x10_0000)));
    if (arch == Arch.PAE && p2m.machine(dom0.currentPgd()) + 32 > (1L << 32)) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format(
          "dom0's PDPT lands at machine 0x%x, above 4 GiB, where a PAE CR3 cannot point (Xen's low L3 copy is not modelled)",
          p2m.machine(dom0.currentPgd())));
    }
    PvTables.Conversion conversion = PvTables.convert(dom0.memory(), arch.pagingMode(), dom0.allRoots(), p2m, machine);

    // the hypervisor's region: its image from xen_phys_start, its tables and lists from 2 MiB
    BumpFrameAllocator frames = new BumpFrameAllocator(TABLES_START, crashStart);
    long window = arch.is64Bit() ? WINDOW_X86_64 : WINDOW_PAE;
    long l1 = frames.allocateFrame();
    Set<Long> linked = new LinkedHashSet<>();
    if (arch.is64Bit()) {
      long l3 = frames.allocateFrame();
      long l2 = frames.allocateFrame();
      machine.writeU64(l3 + 8 * ((window >>> 30) & 511), l2 | KERNPG_TABLE);
      machine.writeU64(l2 + 8 * ((window >>> 21) & 511), l1 | KERNPG_TABLE);
      for (long root : dom0.allRoots()) {
        long pgd = p2m.machine(root);
        linked.add(pgd);
        link(machine, pgd + 8 * ((window >>> 39) & 511), l3, "PML4 slot " + ((window >>> 39) & 511));
      }
    } else {
      for (long root : dom0.allRoots()) {
        long pdpte = machine.readU64(p2m.machine(PagingMode.PAE.rootTable(root)) + 8 * 3);
        if ((pdpte & PageTableEntry.P) == 0) {
          throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format("dom0's root 0x%x maps nothing above 3 GiB, where Xen lives", root));
        }
        long l2 = pdpte & org.kexecsim.mmu.PagingMode.FRAME_MASK_64;
        if (linked.add(l2)) {
          link(machine, l2 + 8 * ((window >>> 21) & 511), l1, "PDE for 0x" + Long.toHexString(window));
        }
      }
    }
    long text = XEN_PHYS_START;
    machine.write(text, new byte[] {(byte) 0xF4, (byte) 0xEB, (byte) 0xFD}, 0, 3); // Xen's idle loop: HLT; JMP back
    machine.writeU64(l1, text | PAGE_KERNEL_EXEC);
    long stack = frames.allocateFrame();
    machine.writeU64(l1 + 8L * STACK_SLOT, stack | PAGE_KERNEL);
    long top = P2mFrames.write(machine, p2m, arch.longBytes(), frames);
    PhysicalRange hv = new PhysicalRange(0, crashStart);

    CrashedKernel view = onMachine(dom0, machine, p2m, new CrashRegion(new PhysicalRange(crashStart, crashBytes)));
    return new XenMachine(arch, dom0, view, p2m, extent, hv, window, l1, stack, top, conversion);
  }

  private static void link(PhysicalMemory m, long slot, long table, String what) {
    long old = m.readU64(slot);
    if ((old & PageTableEntry.P) != 0) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format("dom0 already maps %s (0x%x), which the hypervisor owns", what, old));
    }
    m.writeU64(slot, table | KERNPG_TABLE);
  }

  /** dom0 as the machine sees it: every address a machine address, the crash region Xen's. */
  private static CrashedKernel onMachine(CrashedKernel k, SparseMemory machine, P2m p2m, CrashRegion crash) {
    long cr3 = k.registers().cr3();
    long table = k.arch().pagingMode().rootTable(cr3);
    ControlRegisters regs = new ControlRegisters(k.registers().cr0(), p2m.machine(table) | (cr3 ^ table), // flag bits kept
        k.registers().cr4(), k.registers().efer());
    KernelText t = k.text();
    long textMa = contiguous(p2m, t.physicalStart(), t.size(), "the kernel image");
    List<KernelProcess> processes = new ArrayList<>();
    for (KernelProcess p : k.processes()) {
      processes.add(new KernelProcess(p.pid(), p.comm(), p2m.machine(p.pgdPhysical()),
          p.userPages().stream().map(p2m::machine).toList()));
    }
    int bits = 64 - Long.numberOfLeadingZeros(machine.ramMap().end() - 1);
    return new CrashedKernel(k.arch(), k.seed(), machine, Optional.of(crash), regs, p2m.machine(k.kernelPgd()),
        new KernelText(t.virtualStart(), textMa, t.size(), t.textBytes()), k.physBase(), k.relocateKernelVirtual(),
        onMachine(k.gdt(), p2m), onMachine(k.idt(), p2m), processes, k.currentPid(),
        k.crashNotes().stream().map(p2m::machine).toList(), p2m.machine(k.vmcoreinfoNote()), k.vmcoreinfoNoteBytes(),
        k.vmallocPages(), new PhysicalRange(contiguous(p2m, k.imageRange().start(), k.imageRange().size(), "the kernel image"),
            k.imageRange().size()),
        k.directMapBytes(), CpuFeatures.withMaxPhyAddr(Math.max(k.cpu().maxPhyAddr(), bits)), k.linuxBanner(), k.pageRoles(),
        List.of());
  }

  private static DescriptorTable onMachine(DescriptorTable d, P2m p2m) {
    return new DescriptorTable(d.name(), d.virtual(), p2m.machine(d.physical()), d.limit());
  }

  private static long contiguous(P2m p2m, long start, long size, String what) {
    long ma = p2m.machine(start);
    if (ma == P2m.INVALID || p2m.machine(start + size - 1) != ma + size - 1) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(what + " is not machine-contiguous under this p2m");
    }
    return ma;
  }

  /**
   * set_fixmap(FIX_KEXEC_BASE_0 + k, ma) in machine_kexec_load(): maps {@code machineAddress}'s page
   * at the next kexec fixmap slot and returns its VA (fix_to_virt: slots grow down from the top).
   */
  public long setFixmap(long machineAddress) {
    if (fixmapUsed == FIXMAP_SLOTS) {
      throw new IllegalStateException("the kexec fixmap slots are used up");
    }
    int slot = 511 - fixmapUsed++;
    onMachine.memory().writeU64(windowL1 + 8L * slot, (machineAddress & ~0xFFFL) | PAGE_KERNEL_EXEC);
    return windowVirtual + ((long) slot << PhysicalMemory.PAGE_SHIFT);
  }

  /** XEN_ELFNOTE_CRASH_INFO as machine_crash_shutdown() fills it. */
  public XenCrashNotes.CrashInfo crashInfo() {
    return new XenCrashNotes.CrashInfo(3, 0, XEN_PHYS_START, p2mTopMfn);
  }

  /** XEN_ELFNOTE_CRASH_REGS of the crashing CPU: it was running dom0, so CR3 is dom0's pgd. */
  public XenCrashNotes.CrashRegs crashRegs() {
    var r = onMachine.registers();
    return new XenCrashNotes.CrashRegs(r.cr0(), 0, r.cr3(), r.cr4());
  }

  public Arch arch() {
    return arch;
  }

  /** dom0 in its own pseudo-physical space, as it booted. */
  public CrashedKernel dom0() {
    return dom0;
  }

  /** dom0 seen from the machine: machine memory, machine addresses, the hypervisor's crash region. */
  public CrashedKernel onMachine() {
    return onMachine;
  }

  public SparseMemory machine() {
    return onMachine.memory();
  }

  public P2m p2m() {
    return p2m;
  }

  public long extentBytes() {
    return extentBytes;
  }

  public PhysicalRange hypervisor() {
    return hypervisor;
  }

  public long windowVirtual() {
    return windowVirtual;
  }

  /** The hypervisor's stack page for the crashing CPU (machine address) and its VA. */
  public long stackPhysical() {
    return stackPhysical;
  }

  public long stackVirtual() {
    return windowVirtual + ((long) STACK_SLOT << PhysicalMemory.PAGE_SHIFT);
  }

  public long p2mFrameListListMfn() {
    return p2mTopMfn;
  }

  public PvTables.Conversion conversion() {
    return conversion;
  }
}
