package org.kexecsim.kernel;

import static org.kexecsim.mmu.PageTableEntry.A;
import static org.kexecsim.mmu.PageTableEntry.D;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.CrashKernelSpec;
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;

/**
 * Boots a synthetic kernel into a machine and crashes it: deterministic from the seed and the
 * RAM map. The layout follows Linux: the image at 16 MiB (CONFIG_PHYSICAL_START; on x86_64 moved
 * by a seeded physical KASLR offset that becomes phys_base), the direct map with the largest
 * pages, a few vmalloc pages, processes whose pgds share the kernel half, a GDT and IDT in the
 * image, crash notes and VMCOREINFO in kernel memory.
 *
 * <p>Only the page tables and the pages the kernel wrote are materialised, so a machine with tens
 * of TiB costs a few hundred table pages (1 GiB leaves in the direct map), plus on x86_64 the
 * memmap's bookkeeping: a mem_section root page per 16 GiB and a vmemmap table page per 64 GiB of
 * RAM. The struct pages themselves are written only for pages that are something (see
 * StructPages); the rest stay all-zero holes.
 */
public final class KernelBoot {
  private KernelBoot() {}

  private static final long MIB = 1L << 20;
  /** CONFIG_PHYSICAL_START. */
  private static final long PHYSICAL_START = 16 * MIB;
  /** __START_KERNEL_map (arch/x86/include/asm/page_64_types.h). */
  private static final long START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000L;
  /** VMALLOC_START on x86_64 with 4-level paging, no KASLR (Documentation/arch/x86/x86_64/mm.rst). */
  private static final long X86_64_VMALLOC_START = 0xFFFF_C900_0000_0000L;
  /** VMALLOC_OFFSET on i386: the 8 MiB gap after high_memory (arch/x86/include/asm/pgtable_32_areas.h). */
  private static final long VMALLOC_OFFSET = 8 * MIB;
  /** KERNEL_IMAGE_SIZE with KASLR configured: 1 GiB (arch/x86/include/asm/page_64_types.h). */
  private static final long KERNEL_IMAGE_SIZE = 1L << 30;
  private static final String OSRELEASE = "6.16.0-kexecsim";
  /** Where node_online_map sits in the page that holds the mem_map pointer. */
  private static final long NODE_ONLINE_MAP_OFFSET = 8;
  /** __NEW_UTS_LEN + 1. */
  private static final int UTS_FIELD = 65;
  private static final String[] COMMS = {"systemd", "sshd", "bash", "postgres", "nginx", "kworker/u8:2"};

  /** The synthetic kernel's linux_banner text, without its NUL. */
  public static String linuxBanner() {
    return "Linux version " + OSRELEASE + " (kexec-sim@kexec-sim) (kexec-sim synthetic kernel) #1 SMP kexec-sim\n";
  }

  /** The synthetic kernel's release, UTS_RELEASE. */
  public static String osRelease() {
    return OSRELEASE;
  }

  /** Boots with {@code crashkernel=} (or none when empty) and crashes. */
  public static CrashedKernel boot(Arch arch, RamMap ram, Optional<String> crashkernel, long seed) {
    return new Builder(arch, ram, seed).boot(crashkernel, java.util.OptionalLong.empty());
  }

  /**
   * As {@link #boot(Arch, RamMap, Optional, long)} with relocate_kernel at {@code relocateVirtual}
   * (page-aligned, inside kernel text): where a real vmlinux links it, for code that uses its
   * own absolute kernel-text addresses (6.1's relocate_kernel_64.S returns through
   * {@code $virtual_mapped}).
   */
  public static CrashedKernel boot(Arch arch, RamMap ram, Optional<String> crashkernel, long seed,
      java.util.OptionalLong relocateVirtual) {
    return new Builder(arch, ram, seed).boot(crashkernel, relocateVirtual);
  }

  private static final class Builder {
    final Arch arch;
    final RamMap ram;
    final long seed;
    final SplittableRandom random;
    final SparseMemory memory;
    final PagingMode mode;
    final boolean is64;
    /** high_memory: the physical end of the direct map. */
    long directMapEnd;

    Builder(Arch arch, RamMap ram, long seed) {
      this.arch = arch;
      this.ram = ram;
      this.seed = seed;
      this.random = new SplittableRandom(seed);
      this.memory = new SparseMemory(ram);
      this.mode = arch.pagingMode();
      this.is64 = arch.is64Bit();
    }

    CrashedKernel boot(Optional<String> crashkernel, java.util.OptionalLong relocateAt) {
      long textBytes = is64 ? 16 * MIB : 8 * MIB;
      long imageBytes = is64 ? 32 * MIB : 16 * MIB;
      long physLoad = choosePhysLoad(imageBytes);
      PhysicalRange image = new PhysicalRange(physLoad, imageBytes);

      Optional<CrashRegion> crash = Optional.empty();
      if (crashkernel.isPresent()) {
        CrashKernelSpec spec = CrashKernelSpec.parse(crashkernel.get(), ram.usableBytes());
        crash = CrashRegion.reserve(spec, ram, arch, List.of(new PhysicalRange(0, MIB), image));
      }
      Optional<CrashRegion> crashFinal = crash;
      // The struct pages (x86_64: SPARSEMEM_VMEMMAP; i386: FLATMEM's mem_map in lowmem): placed
      // top-down now, as memblock does early in boot, so nothing else lands there; filled in at
      // the end (StructPages).
      List<PhysicalRange> avoid = new ArrayList<>(List.of(new PhysicalRange(0, MIB),
          new PhysicalRange(physLoad, imageBytes + 8 * MIB)));
      crash.ifPresent(r -> avoid.add(r.range()));
      StructPageArray memmap = is64 ? SparseVmemmap.place(ram, avoid) : FlatMemMap.place(arch, ram, avoid);
      // Kernel allocations: the image's data part first (init_top_pgt, the GDT, the IDT live
      // there), then memblock-style memory above it, never in the crash region or the memmap.
      long allocLimit = Math.min(ramTop(), arch.lowmemLimit());
      BumpFrameAllocator frames = new BumpFrameAllocator(
          physLoad + textBytes, allocLimit,
          pa -> !usable(pa) || crashFinal.map(r -> r.contains(pa)).orElse(false)
              || memmap.contains(pa));

      long textVirtual = is64 ? START_KERNEL_MAP + PHYSICAL_START : arch.directMapVirtual(physLoad);
      long physBase = is64 ? physLoad - PHYSICAL_START : 0;
      KernelText text = new KernelText(textVirtual, physLoad, imageBytes, textBytes);

      long kernelPgd = pgdFrames(frames);
      PageTableBuilder kernel = PageTableBuilder.onExisting(memory, mode, kernelPgd, frames);
      long gdtPa = frames.allocateFrame();
      long idtPa = frames.allocateFrame();
      long directMapBytes = mapKernel(kernel, text);

      long relocateVirtual = textVirtual + 4096L * (1 + random.nextInt((int) (textBytes / 4096) - 1));
      if (relocateAt.isPresent()) {
        long want = relocateAt.getAsLong();
        if ((want & 0xFFF) != 0 || Long.compareUnsigned(want - textVirtual - 4096, textBytes - 4096) >= 0) {
          throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format(
              "relocate_kernel at 0x%x is not a page of this kernel's text after its first, 0x%x-0x%x",
              want, textVirtual, textVirtual + textBytes - 1));
        }
        relocateVirtual = want;
      }
      fillRandom(text.physical(relocateVirtual), 4096);

      DescriptorTable gdt = writeGdt(gdtPa, text);
      DescriptorTable idt = writeIdt(idtPa, text);

      List<Long> vmalloc = mapVmalloc(kernel, frames);

      List<KernelProcess> processes = new ArrayList<>();
      int nproc = 2 + random.nextInt(2);
      int pid = 1;
      for (int i = 0; i < nproc; i++) {
        processes.add(spawn(pid, i == 0 ? "systemd" : COMMS[1 + random.nextInt(COMMS.length - 1)], kernelPgd, frames));
        pid += 1 + random.nextInt(3000);
      }
      KernelProcess current = processes.get(random.nextInt(processes.size()));
      ControlRegisters regs = registers(current.pgdPhysical());

      int cpus = 2 + random.nextInt(3);
      int crashingCpu = random.nextInt(cpus);
      List<Long> notes = new ArrayList<>();
      for (int cpu = 0; cpu < cpus; cpu++) {
        notes.add(writeCrashNote(frames, cpu == crashingCpu ? current.pid() : 0, text, cpu == crashingCpu));
      }
      long vmcoreinfoPa = frames.allocateFrame();
      long utsPa = frames.allocateFrame();
      writeUtsname(utsPa);
      long memMapPa = frames.allocateFrame();
      if (memmap instanceof FlatMemMap flat) {
        // mem_map, FLATMEM's pointer to its struct page array (NODE_DATA(0)->node_mem_map, in the
        // direct map): what makedumpfile's get_mm_flatmem reads through SYMBOL(mem_map).
        memory.writeU32(memMapPa, arch.directMapVirtual(flat.base()));
      }
      // node_online_map (mm/page_alloc.c node_states[N_ONLINE]): one node, node 0, online; kept
      // in the same data page, right after the (i386) mem_map pointer, so nothing else moves.
      memory.writeU64(memMapPa + NODE_ONLINE_MAP_OFFSET, 1L);
      byte[] vmcoreinfo = new ElfNote(VmcoreInfo.NOTE_NAME, 0,
          vmcoreinfo(text, kernelPgd, physBase, text.virtual(utsPa), text.virtual(memMapPa), memmap).kernelData()).withFinalNote();
      memory.write(vmcoreinfoPa, vmcoreinfo, 0, vmcoreinfo.length);

      long bannerVirtual = writeBanner(frames, text); // before the memmap, so nothing allocated before it moves
      PageRoles roles = new StructPages(memmap, kernel, frames, processes, kernelPgd, crashFinal).write();
      List<PhysicalRange> memmapRanges = memmap.ranges();
      CrashedKernel k = new CrashedKernel(
          arch, seed, memory, crashFinal, regs, kernelPgd, text, physBase, relocateVirtual, gdt, idt,
          processes, current.pid(), notes, vmcoreinfoPa, vmcoreinfo.length, vmalloc, image, directMapBytes, cpu(),
          bannerVirtual, roles, memmapRanges);
      k.registers().pagingState(memory, k.cpu()); // CR3 must load (PAE: PDPTE check)
      return k;
    }

    /**
     * linux_banner (init/version.c): "Linux version " UTS_RELEASE " (user@host) (compiler) "
     * UTS_VERSION "\n", NUL-terminated, in the image's data where dump tools read it by address.
     */
    private long writeBanner(BumpFrameAllocator frames, KernelText text) {
      long pa = frames.allocateFrame();
      byte[] b = (linuxBanner() + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      memory.write(pa, b, 0, b.length);
      return text.virtual(pa);
    }

    /** A CPU whose MAXPHYADDR reaches the top of RAM (at least QEMU's default 40 bits). */
    private CpuFeatures cpu() {
      long top = ramTop() - 1;
      int bits = 64 - Long.numberOfLeadingZeros(top);
      return CpuFeatures.withMaxPhyAddr(Math.min(52, Math.max(40, bits)));
    }

    /** The image must sit in usable RAM; x86_64 moves it by up to 64 MiB in 2 MiB steps (physical KASLR). */
    private long choosePhysLoad(long imageBytes) {
      List<Long> candidates = new ArrayList<>();
      int steps = is64 ? 32 : 1;
      for (int i = 0; i < steps; i++) {
        long pa = PHYSICAL_START + i * 2 * MIB;
        // room for the image and a few MiB of early page tables behind it
        if (usableRange(pa, imageBytes + 8 * MIB) && pa + imageBytes + 8 * MIB <= arch.lowmemLimit()) {
          candidates.add(pa);
        }
      }
      if (candidates.isEmpty()) {
        throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format(
            "RAM map %s has no usable room for a %d MiB kernel image at 16 MiB", ram, imageBytes >> 20));
      }
      return candidates.get(random.nextInt(candidates.size()));
    }

    private boolean usable(long pa) {
      int i = ram.indexOf(pa);
      return i >= 0 && ram.ranges().get(i).type() == RamRange.Type.USABLE;
    }

    private boolean usableRange(long pa, long size) {
      int i = ram.indexOf(pa);
      return i >= 0 && ram.ranges().get(i).type() == RamRange.Type.USABLE
          && Long.compareUnsigned(pa + size - 1, ram.ranges().get(i).last()) <= 0;
    }

    private long ramTop() {
      return ram.end() == 0 ? Long.MAX_VALUE : ram.end();
    }

    /** PAGE_KERNEL without NX where the mode has no XD bit. */
    private long pageKernel() {
      return arch.hasNx() ? PageTableEntry.PAGE_KERNEL : PageTableEntry.PAGE_KERNEL_EXEC;
    }

    /** Text, data and the direct map; returns how many bytes of RAM the direct map covers. */
    private long mapKernel(PageTableBuilder kernel, KernelText text) {
      long covered = 0;
      long lowmem = arch.lowmemLimit();
      for (RamRange r : ram.ranges()) {
        if (r.type() != RamRange.Type.USABLE) {
          continue;
        }
        long start = (r.start() + 4095) & ~4095L;
        long end = Math.min(r.end() == 0 ? Long.MAX_VALUE : r.end(), lowmem) & ~4095L;
        if (end > start) {
          // arch/x86/mm/init.c init_memory_mapping: the largest pages the range allows
          kernel.map(arch.directMapVirtual(start), start, end - start, pageKernel(), arch.largestPage());
          covered += end - start;
          directMapEnd = Math.max(directMapEnd, end);
        }
      }
      PageSize large = is64 ? PageSize.SIZE_2M : arch.largestPage();
      // Text executable, the rest of the image not (x86_64: the __START_KERNEL_map alias; i386:
      // the same direct-map range, remapped executable like kernel_physical_mapping_init does).
      kernel.map(text.virtualStart(), text.physicalStart(), text.textBytes(), PageTableEntry.PAGE_KERNEL_EXEC, large);
      kernel.map(text.virtualStart() + text.textBytes(), text.physicalStart() + text.textBytes(),
          text.size() - text.textBytes(), pageKernel(), large);
      return covered;
    }

    /** vmalloc'ed 4 KiB pages with guard gaps, each backed by a page the kernel filled. */
    private List<Long> mapVmalloc(PageTableBuilder kernel, BumpFrameAllocator frames) {
      long start = is64 ? X86_64_VMALLOC_START
          : (arch.directMapVirtual(directMapEnd) + VMALLOC_OFFSET) & -VMALLOC_OFFSET;
      List<Long> pages = new ArrayList<>();
      int n = 6 + random.nextInt(10);
      long va = start;
      for (int i = 0; i < n; i++) {
        long pa = frames.allocateFrame();
        fillRandom(pa, 4096);
        kernel.map(va, pa, 4096, pageKernel(), PageSize.SIZE_4K);
        pages.add(va);
        va += 4096L * (2 + random.nextInt(3)); // vmalloc leaves a guard page after each area
      }
      return pages;
    }

    /**
     * A zeroed pgd page. On x86_64 it is the first of an 8 KiB-aligned pair, as with
     * CONFIG_PAGE_TABLE_ISOLATION (PGD_ALLOCATION_ORDER 1, arch/x86/include/asm/pgalloc.h; and
     * init_top_pgt is PTI-aligned in head_64.S): the second page is the user-mode copy, so CR3
     * bit 12 selects between them and a kernel CR3 has it clear, which is what dump tools rely
     * on when they mask it (crash's kaslr_helper.c).
     */
    private long pgdFrames(BumpFrameAllocator frames) {
      long pgd = frames.allocateFrame();
      if (mode == PagingMode.LEVEL4 || mode == PagingMode.LEVEL5) {
        while ((pgd & 0x1FFF) != 0) {
          pgd = frames.allocateFrame();
        }
        long user = frames.allocateFrame();
        if (user != pgd + 4096) {
          throw new IllegalStateException(String.format("no 8 KiB-aligned pgd pair at 0x%x", pgd));
        }
        memory.write(user, new byte[4096], 0, 4096);
      }
      memory.write(pgd, new byte[4096], 0, 4096);
      return pgd;
    }

    /**
     * pgd_alloc(): a new pgd whose kernel half copies the kernel's entries (x86_64 entries
     * 256-511, i386 768-1023); with PAE the three user pmds are preallocated and the kernel pmd
     * is shared (PREALLOCATED_PMDS, SHARED_KERNEL_PMD; arch/x86/mm/pgtable.c).
     */
    private KernelProcess spawn(int pid, String comm, long kernelPgd, BumpFrameAllocator frames) {
      spawning = pid;
      long pgd = pgdFrames(frames);
      switch (mode) {
        case LEVEL4 -> {
          for (int i = 256; i < 512; i++) {
            memory.writeU64(pgd + 8L * i, memory.readU64(kernelPgd + 8L * i));
          }
        }
        case BITS32 -> {
          for (int i = 768; i < 1024; i++) {
            memory.writeU32(pgd + 4L * i, memory.readU32(kernelPgd + 4L * i));
          }
        }
        case PAE -> {
          for (int i = 0; i < 3; i++) {
            long pmd = frames.allocateFrame();
            memory.write(pmd, new byte[4096], 0, 4096);
            memory.writeU64(pgd + 8L * i, pmd | P); // PDPTEs carry only P (SDM §4.4.1)
          }
          memory.writeU64(pgd + 24, memory.readU64(kernelPgd + 24));
        }
        default -> throw new IllegalStateException("no processes in " + mode);
      }
      PageTableBuilder user = PageTableBuilder.onExisting(memory, mode, pgd, frames);
      long nx = arch.hasNx() ? XD : 0;
      long userText = P | US | A;
      long userData = P | RW | US | A | D | nx;
      long textVa = is64 ? 0x40_0000L : 0x0804_8000L;
      long stackTop = is64 ? 0x7FFF_FFFF_F000L : 0xC000_0000L;
      List<Long> pages = new ArrayList<>();
      int textPages = 1 + random.nextInt(3);
      for (int i = 0; i < textPages; i++) {
        pages.add(mapUser(user, frames, textVa + 4096L * i, userText, true));
      }
      pages.add(mapUser(user, frames, textVa + 0x20_0000L, userData, false)); // .data/heap
      int stackPages = 1 + random.nextInt(3);
      for (int i = 1; i <= stackPages; i++) {
        pages.add(mapUser(user, frames, stackTop - 0x2_0000L - 4096L * i, userData, false));
      }
      return new KernelProcess(pid, comm, pgd, pages);
    }

    /** Every user page mapped: {physical, virtual, 1 when file-backed (text) else 0 (anonymous), pid}. */
    final List<long[]> userFrames = new ArrayList<>();
    int spawning;

    private long mapUser(PageTableBuilder user, BumpFrameAllocator frames, long va, long flags, boolean fileBacked) {
      long pa = frames.allocateFrame();
      userFrames.add(new long[] {pa, va, fileBacked ? 1 : 0, spawning});
      fillRandom(pa, 4096);
      user.map(va, pa, 4096, flags, PageTableEntry.PAGE_TABLE, PageSize.SIZE_4K,
          org.kexecsim.pagetable.Overlap.REPLACE);
      return va;
    }

    private ControlRegisters registers(long cr3) {
      return ControlRegisters.linux(arch.pagingMode(), cr3);
    }

    /** gdt_page: the kernel's flat code and data descriptors at their GDT_ENTRY_* slots. */
    private DescriptorTable writeGdt(long pa, KernelText text) {
      if (is64) {
        memory.writeU64(pa + 8, SegmentDescriptors.CODE32_KERNEL); // GDT_ENTRY_KERNEL32_CS 1
        memory.writeU64(pa + SegmentDescriptors.X86_64_KERNEL_CS, SegmentDescriptors.CODE64_KERNEL);
        memory.writeU64(pa + SegmentDescriptors.X86_64_KERNEL_DS, SegmentDescriptors.DATA_KERNEL);
        memory.writeU64(pa + 0x20, SegmentDescriptors.CODE32_USER); // GDT_ENTRY_DEFAULT_USER32_CS 4
        memory.writeU64(pa + (SegmentDescriptors.X86_64_USER_DS & ~7), SegmentDescriptors.DATA_USER);
        memory.writeU64(pa + (SegmentDescriptors.X86_64_USER_CS & ~7), SegmentDescriptors.CODE64_USER);
        return new DescriptorTable("GDT", text.virtual(pa), pa, SegmentDescriptors.X86_64_GDT_ENTRIES * 8 - 1);
      }
      memory.writeU64(pa + SegmentDescriptors.I386_KERNEL_CS, SegmentDescriptors.CODE32_KERNEL);
      memory.writeU64(pa + SegmentDescriptors.I386_KERNEL_DS, SegmentDescriptors.DATA_KERNEL);
      memory.writeU64(pa + (SegmentDescriptors.I386_USER_CS & ~7), SegmentDescriptors.CODE32_USER);
      memory.writeU64(pa + (SegmentDescriptors.I386_USER_DS & ~7), SegmentDescriptors.DATA_USER);
      return new DescriptorTable("GDT", text.virtual(pa), pa, SegmentDescriptors.I386_GDT_ENTRIES * 8 - 1);
    }

    /** idt_table: 256 interrupt gates through __KERNEL_CS to entry stubs in text. */
    private DescriptorTable writeIdt(long pa, KernelText text) {
      int gateBytes = is64 ? 16 : 8;
      int selector = is64 ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
      long entryText = text.virtualStart() + 0x80_0000L; // the .entry.text stubs
      for (int v = 0; v < 256; v++) {
        long handler = entryText + 16L * v;
        memory.writeU64(pa + (long) gateBytes * v, SegmentDescriptors.interruptGateLow(handler, selector));
        if (is64) {
          memory.writeU64(pa + (long) gateBytes * v + 8, handler >>> 32);
        }
      }
      return new DescriptorTable("IDT", text.virtual(pa), pa, 256 * gateBytes - 1);
    }

    /**
     * crash_save_cpu(): an NT_PRSTATUS note named "CORE" (elf_prstatus: 336 bytes on x86_64, 144
     * on i386, pr_reg at offset 112 / 72) followed by the final empty note.
     */
    private long writeCrashNote(BumpFrameAllocator frames, int pid, KernelText text, boolean crashing) {
      int descBytes = is64 ? 336 : 144;
      int regOffset = is64 ? 112 : 72;
      ByteBuffer d = ByteBuffer.allocate(descBytes).order(ByteOrder.LITTLE_ENDIAN);
      d.putInt(is64 ? 32 : 24, pid); // pr_pid after si_*, pr_cursig, pr_sigpend, pr_sighold
      long rip = text.virtualStart() + 0x1000L * random.nextInt(2048) + 16L * random.nextInt(256);
      long rsp = arch.directMapVirtual(frames.allocateFrame()) + 0xF00;
      if (is64) {
        // pr_reg: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss ...
        for (int i = 0; i < 15; i++) {
          d.putLong(regOffset + 8 * i, random.nextLong());
        }
        d.putLong(regOffset + 8 * 15, -1L); // orig_rax
        d.putLong(regOffset + 8 * 16, rip);
        d.putLong(regOffset + 8 * 17, SegmentDescriptors.X86_64_KERNEL_CS);
        d.putLong(regOffset + 8 * 18, crashing ? 0x46 : 0x246);
        d.putLong(regOffset + 8 * 19, rsp);
        d.putLong(regOffset + 8 * 20, SegmentDescriptors.X86_64_KERNEL_DS);
      } else {
        // pr_reg: ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss
        for (int i = 0; i < 7; i++) {
          d.putInt(regOffset + 4 * i, random.nextInt());
        }
        d.putInt(regOffset + 4 * 7, SegmentDescriptors.I386_USER_DS);
        d.putInt(regOffset + 4 * 8, SegmentDescriptors.I386_USER_DS);
        d.putInt(regOffset + 4 * 11, -1);
        d.putInt(regOffset + 4 * 12, (int) rip);
        d.putInt(regOffset + 4 * 13, SegmentDescriptors.I386_KERNEL_CS);
        d.putInt(regOffset + 4 * 14, crashing ? 0x46 : 0x246);
        d.putInt(regOffset + 4 * 15, (int) rsp);
        d.putInt(regOffset + 4 * 16, SegmentDescriptors.I386_KERNEL_DS);
      }
      byte[] note = new ElfNote("CORE", ElfNote.NT_PRSTATUS, d.array()).withFinalNote();
      long pa = frames.allocateFrame();
      memory.write(pa, note, 0, note.length);
      return pa;
    }

    /**
     * init_uts_ns.name, a struct new_utsname (include/uapi/linux/utsname.h: six 65-byte strings),
     * at OFFSET(uts_namespace.name) = 0 of SYMBOL(init_uts_ns). makedumpfile reads its release and
     * refuses a dump whose release differs from VMCOREINFO's OSRELEASE (makedumpfile.c
     * check_release), so the dump tools' oracle needs it.
     */
    private void writeUtsname(long pa) {
      String[] fields = {"Linux", "kexec-sim", OSRELEASE, "#1 SMP kexec-sim", is64 ? "x86_64" : "i686", "(none)"};
      byte[] uts = new byte[6 * UTS_FIELD];
      for (int i = 0; i < fields.length; i++) {
        byte[] f = fields[i].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(f, 0, uts, i * UTS_FIELD, f.length);
      }
      memory.write(pa, uts, 0, uts.length);
    }

    private VmcoreInfo.Builder vmcoreinfo(KernelText text, long kernelPgd, long physBase, long utsVirtual, long memMapVirtual,
        StructPageArray memmap) {
      StringBuilder buildId = new StringBuilder();
      SplittableRandom idRandom = new SplittableRandom(seed ^ 0x5EED);
      for (int i = 0; i < 20; i++) {
        buildId.append(String.format("%02x", idRandom.nextInt(256)));
      }
      long pgdVirtual = text.virtual(kernelPgd);
      VmcoreInfo.Builder v = VmcoreInfo.builder()
          .osRelease(OSRELEASE)
          .buildId(buildId.toString())
          .pageSize(PhysicalMemory.PAGE_SIZE)
          .symbol("init_uts_ns", utsVirtual)
          .offset("uts_namespace.name", 0)
          .symbol("node_online_map", memMapVirtual + NODE_ONLINE_MAP_OFFSET)
          .symbol("swapper_pg_dir", pgdVirtual)
          .symbol("_stext", text.virtualStart());
      // The memory model makedumpfile's get_mem_type picks from these (makedumpfile.c): x86_64
      // SPARSEMEM_EXTREME with the keys kernel/crash_core.c writes for it; i386 FLATMEM.
      if (memmap instanceof SparseVmemmap vmemmap) {
        v.symbol("mem_section", arch.directMapVirtual(vmemmap.rootArray()))
            .line("LENGTH(mem_section)=" + SparseVmemmap.NR_SECTION_ROOTS)
            .line("SIZE(mem_section)=" + SparseVmemmap.MEM_SECTION_SIZE)
            .offset("mem_section.section_mem_map", 0)
            .number("SECTION_SIZE_BITS", SparseVmemmap.SECTION_SIZE_BITS)
            .number("MAX_PHYSMEM_BITS", SparseVmemmap.MAX_PHYSMEM_BITS);
      } else {
        v.symbol("mem_map", memMapVirtual);
      }
      // struct page as StructPage writes it, and the page-flag numbers makedumpfile filters by.
      StructPage sp = memmap.layout();
      v.line("SIZE(page)=" + sp.size())
          .line("SIZE(nodemask_t)=" + (is64 ? 8 : 4)) // MAX_NUMNODES 1 on i386: one unsigned long
          .offset("page.flags", 0)
          .offset("page._refcount", sp.refcount())
          .offset("page.mapping", sp.mapping());
      {
        // What makedumpfile filters by, true of the struct pages StructPages writes.
        v.offset("page.lru", sp.lru())
          .offset("page._mapcount", sp.mapcount())
          .offset("page.private", sp.privateData())
          .offset("page.compound_dtor", sp.compoundDtor())
          .offset("page.compound_order", sp.compoundOrder())
          .offset("page.compound_head", sp.lru())
          .line("LENGTH(zone.free_area)=" + StructPage.MAX_ORDER)
          .number("PG_lru", StructPage.PG_LRU)
          .number("PG_private", StructPage.PG_PRIVATE)
          .number("PG_swapcache", StructPage.PG_SWAPCACHE)
          .number("PG_swapbacked", StructPage.PG_SWAPBACKED)
          .number("PG_slab", StructPage.PG_SLAB)
          .number("PG_hwpoison", StructPage.PG_HWPOISON)
          .number("PG_head_mask", StructPage.flag(StructPage.PG_HEAD))
          .number("PAGE_BUDDY_MAPCOUNT_VALUE", StructPage.PAGE_TYPE_BUDDY)
          .number("HUGETLB_PAGE_DTOR", StructPage.HUGETLB_PAGE_DTOR)
          .number("PAGE_OFFLINE_MAPCOUNT_VALUE", StructPage.PAGE_TYPE_OFFLINE);
      }
      if (is64) {
        // arch/x86/kernel/machine_kexec_64.c arch_crash_save_vmcoreinfo
        v.number("phys_base", physBase)
            .symbol("init_top_pgt", pgdVirtual)
            .number("pgtable_l5_enabled", 0)
            .line("KERNELOFFSET=0")
            .number("KERNEL_IMAGE_SIZE", KERNEL_IMAGE_SIZE)
            .number("sme_mask", 0);
      } else if (arch == Arch.PAE) {
        v.line("CONFIG_X86_PAE=y"); // VMCOREINFO_CONFIG(X86_PAE), machine_kexec_32.c
      }
      // crash_save_vmcoreinfo() appends the crash time (kernel/vmcore_info.c)
      return v.line("CRASHTIME=" + (1_700_000_000L + (seed & 0xFFFFFF)));
    }

    /**
     * The struct pages and the roles they give, the same on every arch: on x86_64 the vmemmap
     * mapped with 2 MiB pages and mem_section filled in (SparseVmemmap), on i386 FLATMEM's
     * mem_map in lowmem (FlatMemMap), each laid out as StructPage says; then, in a deterministic layout after the kernel's
     * other allocations, page cache pages (some with PG_private), the processes' text as mapped
     * page cache and their data and stacks as anonymous pages, free buddy blocks of orders 0-9
     * holding stale data, and struct pages for the page tables and every other page the kernel
     * wrote (PG_reserved, as memblock-reserved memory has). RAM the kernel never wrote keeps an
     * all-zero struct page (no flags, no mapping, not a buddy page): only its zero contents say
     * what it is, which keeps a 64 TiB machine as cheap as its page tables.
     */
    private final class StructPages {
      /** Slots in the slab page that holds the objects struct pages point at. */
      private static final int ADDRESS_SPACES = 0;
      private static final int ANON_VMAS = 0x400;
      private static final int BUFFER_HEADS = 0x800;
      private static final int SLOT = 0x100;
      private static final int BH_SLOT = 0x80;

      final StructPageArray memmap;
      final PageTableBuilder kernel;
      final BumpFrameAllocator frames;
      final List<KernelProcess> processes;
      final long kernelPgd;
      final StructPage sp;
      final PageRoles.Builder roles;

      StructPages(StructPageArray memmap, PageTableBuilder kernel, BumpFrameAllocator frames,
          List<KernelProcess> processes, long kernelPgd, Optional<CrashRegion> crash) {
        this.memmap = memmap;
        this.sp = memmap.layout();
        this.kernel = kernel;
        this.frames = frames;
        this.processes = processes;
        this.kernelPgd = kernelPgd;
        this.roles = new PageRoles.Builder(crash.map(CrashRegion::range));
      }

      private void set(long pfn, StructPage.Fields f) {
        long at = memmap.structPagePhysical(pfn);
        if (at < 0) {
          throw new IllegalStateException(String.format("frame 0x%x has no struct page", pfn));
        }
        sp.write(memory, at, f);
      }

      PageRoles write() {
        if (memmap instanceof SparseVmemmap vmemmap) {
          for (long[] m : vmemmap.mappings()) {
            kernel.map(m[0], m[1], m[2], pageKernel(), PageSize.SIZE_2M);
          }
          vmemmap.writeSections(memory, arch::directMapVirtual);
          // The vmemmap's pgd entry is new: every pgd shares the kernel half (sync_global_pgds,
          // arch/x86/mm/init_64.c), so copy it into the processes' too.
          for (KernelProcess p : processes) {
            for (int i = 256; i < 512; i++) {
              memory.writeU64(p.pgdPhysical() + 8L * i, memory.readU64(kernelPgd + 8L * i));
            }
          }
        }
        // FLATMEM's mem_map is lowmem, already in the direct map: nothing to map.

        // A slab page of the objects the mappings name: an address_space per file, an anon_vma
        // per process (its root is itself, mm/rmap.c anon_vma_alloc), buffer heads.
        long objects = frames.allocateFrame();
        long objectsVa = arch.directMapVirtual(objects);
        for (int j = 0; j < processes.size(); j++) {
          sp.writeWord(memory, objects + ANON_VMAS + (long) SLOT * j, objectsVa + ANON_VMAS + (long) SLOT * j);
        }
        roles.mark(objects >>> 12, 1, PageRole.KERNEL);
        set(objects >>> 12, new StructPage.Fields(StructPage.flag(StructPage.PG_SLAB), 0, 0, 0, StructPage.NO_PAGE_TYPE, 1));

        long lru = StructPage.flag(StructPage.PG_UPTODATE) | StructPage.flag(StructPage.PG_LRU);
        for (long[] u : userFrames) {
          long pfn = u[0] >>> 12;
          int j = 0;
          while (processes.get(j).pid() != u[3]) {
            j++;
          }
          if (u[2] == 1) {
            // The executable's text: page cache of its file, mapped once (mm/filemap.c).
            roles.mark(pfn, 1, PageRole.PAGE_CACHE);
            set(pfn, new StructPage.Fields(lru | StructPage.flag(StructPage.PG_ACTIVE),
                objectsVa + ADDRESS_SPACES + (long) SLOT * (j % 3), (u[1] >>> 12) & 0xF, 0, 0, 2));
          } else {
            roles.mark(pfn, 1, PageRole.ANON);
            set(pfn, new StructPage.Fields(lru | StructPage.flag(StructPage.PG_SWAPBACKED) | StructPage.flag(StructPage.PG_ACTIVE),
                (objectsVa + ANON_VMAS + (long) SLOT * j) | StructPage.PAGE_MAPPING_ANON, u[1] >>> 12, 0, 0, 1));
          }
        }

        // Unmapped page cache of a fourth file; the first few carry buffer heads (PG_private).
        int cache = 6 + random.nextInt(12);
        int privates = 1 + random.nextInt(4);
        for (int i = 0; i < cache; i++) {
          long pa = frames.allocateFrame();
          fillRandom(pa, 4096);
          boolean priv = i < privates;
          roles.mark(pa >>> 12, 1, priv ? PageRole.PAGE_CACHE_PRIVATE : PageRole.PAGE_CACHE);
          set(pa >>> 12, new StructPage.Fields(lru | (priv ? StructPage.flag(StructPage.PG_PRIVATE) : 0),
              objectsVa + ADDRESS_SPACES + SLOT * 3L, i, priv ? objectsVa + BUFFER_HEADS + (long) BH_SLOT * i : 0,
              StructPage.NO_PAGE_TYPE, priv ? 2 : 1));
        }

        // Free buddy blocks with what their last owners left in them: PageBuddy on the first
        // struct page (page_type PG_buddy cleared) and the order in page->private (mm/page_alloc.c
        // set_buddy_order); the other struct pages of a block say nothing.
        int[] orders = new int[3 + random.nextInt(4)];
        orders[0] = 9;
        for (int i = 1; i < orders.length; i++) {
          orders[i] = random.nextInt(7);
        }
        for (int order : orders) {
          long pa = alignedBlock(order);
          fillRandom(pa, 4096 << order);
          roles.mark(pa >>> 12, 1L << order, PageRole.FREE);
          set(pa >>> 12, new StructPage.Fields(0, 0, 0, order, StructPage.PAGE_TYPE_BUDDY, 0));
        }

        // Page tables: the kernel's came from memblock (PG_reserved); the processes' from the page
        // allocator, typed PG_table. The PTI user-mode copy beside each pgd is a table too.
        java.util.Set<Long> kernelTables = tablePages(kernelPgd);
        if (is64) {
          kernelTables.add(kernelPgd + 4096);
        }
        for (long t : kernelTables) {
          roles.mark(t >>> 12, 1, PageRole.PAGE_TABLE);
          set(t >>> 12, StructPage.Fields.reserved());
        }
        for (KernelProcess p : processes) {
          java.util.Set<Long> own = tablePages(p.pgdPhysical());
          if (is64) {
            own.add(p.pgdPhysical() + 4096);
          }
          own.removeAll(kernelTables);
          for (long t : own) {
            roles.mark(t >>> 12, 1, PageRole.PAGE_TABLE);
            set(t >>> 12, new StructPage.Fields(0, 0, 0, 0, StructPage.PAGE_TYPE_TABLE, 1));
          }
        }

        // Every other page the kernel wrote is its own (PG_reserved). Writing those struct pages
        // fills memmap pages, which are the kernel's too: repeat until nothing new is written.
        for (boolean more = true; more; ) {
          more = false;
          for (long pfn : memory.presentFrameNumbers()) {
            long pa = pfn << 12;
            if (roles.isMarked(pfn) || roles.inCrashRegion(pa) || PageRoles.isZero(memory, pa)) {
              continue;
            }
            roles.mark(pfn, 1, PageRole.KERNEL);
            set(pfn, StructPage.Fields.reserved());
            more = true;
          }
        }
        return roles.build();
      }

      /** The 4 KiB frames holding the tables reachable from {@code root} (TableWalk, the one enumeration). */
      private java.util.Set<Long> tablePages(long root) {
        java.util.Set<Long> pages = new java.util.LinkedHashSet<>();
        org.kexecsim.pagetable.TableWalk.walk(memory, org.kexecsim.pagetable.TableWalk.Start.inMemory(mode, root),
            new org.kexecsim.pagetable.TableWalk.Visitor() {
              @Override
              public void table(long physical, int bytes, int level, long linearBase) {
                pages.add(physical & ~0xFFFL);
              }
            });
        return pages;
      }

      /** 2^order contiguous frames from the kernel's allocator, aligned to their size as buddy blocks are. */
      private long alignedBlock(int order) {
        long pages = 1L << order;
        while (true) {
          long first = frames.allocateFrame();
          if (((first >>> 12) & (pages - 1)) != 0) {
            continue;
          }
          long i = 1;
          while (i < pages && frames.allocateFrame() == first + (i << 12)) {
            i++;
          }
          if (i == pages) {
            return first;
          }
        }
      }
    }

    private void fillRandom(long pa, int bytes) {
      byte[] b = new byte[bytes];
      for (int i = 0; i < bytes; i += 8) {
        long r = random.nextLong();
        for (int j = 0; j < 8 && i + j < bytes; j++) {
          b[i + j] = (byte) (r >>> (8 * j));
        }
      }
      memory.write(pa, b, 0, bytes);
    }
  }

}
