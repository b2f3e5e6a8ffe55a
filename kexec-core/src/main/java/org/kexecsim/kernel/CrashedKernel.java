package org.kexecsim.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.kimage.KexecHost;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.kimage.RandomFreePages;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.CpuFeatures;

/**
 * A synthetic kernel at the moment it crashed: its memory, the registers of the crashing CPU and
 * where everything a dump analyzer looks for lives. Built by {@link KernelBoot}.
 *
 * @param memory the machine's memory, which the kexec load and the transition go on to change
 * @param registers CR0/CR3/CR4/EFER of the crashing CPU; CR3 is the current process's pgd
 * @param kernelPgd init_top_pgt (x86_64) or swapper_pg_dir (i386; the PDPT with PAE)
 * @param physBase x86_64 phys_base: how far the image sits from where it was linked; 0 on i386
 * @param relocateKernelVirtual the VA of relocate_new_kernel, page-aligned inside kernel text
 * @param processes the user processes; {@code currentPid} is the one CR3 belongs to
 * @param crashNotes physical address of each CPU's crash_notes buffer (NT_PRSTATUS "CORE" note)
 * @param vmcoreinfoNote physical address of vmcoreinfo_note, {@code vmcoreinfoNoteBytes} long
 * @param vmallocPages virtual addresses of the 4 KiB vmalloc mappings
 * @param imageRange the physical range of the kernel image (memblock-reserved)
 * @param cpu what the CPU reports: MAXPHYADDR grows with the RAM map beyond QEMU's default 40
 * @param linuxBanner the virtual address of linux_banner, the NUL-terminated version line
 * @param pageRoles what each RAM page is, as its struct page and contents say
 * @param memmap the physical ranges of the struct pages and mem_section (x86_64; memblock-reserved)
 */
public record CrashedKernel(
    Arch arch,
    long seed,
    SparseMemory memory,
    Optional<CrashRegion> crashRegion,
    ControlRegisters registers,
    long kernelPgd,
    KernelText text,
    long physBase,
    long relocateKernelVirtual,
    DescriptorTable gdt,
    DescriptorTable idt,
    List<KernelProcess> processes,
    int currentPid,
    List<Long> crashNotes,
    long vmcoreinfoNote,
    int vmcoreinfoNoteBytes,
    List<Long> vmallocPages,
    PhysicalRange imageRange,
    long directMapBytes,
    CpuFeatures cpu,
    long linuxBanner,
    PageRoles pageRoles,
    List<PhysicalRange> memmap) {

  public CrashedKernel {
    memmap = List.copyOf(memmap);
    processes = List.copyOf(processes);
    crashNotes = List.copyOf(crashNotes);
    vmallocPages = List.copyOf(vmallocPages);
  }

  /** The VMCOREINFO data: the descriptor of the note at {@link #vmcoreinfoNote}. */
  public byte[] vmcoreinfoData() {
    int namesz = (int) memory.readU32(vmcoreinfoNote);
    int descsz = (int) memory.readU32(vmcoreinfoNote + 4);
    byte[] data = new byte[descsz];
    memory.read(vmcoreinfoNote + 12 + ((namesz + 3) & ~3), data, 0, descsz);
    return data;
  }

  /** The physical address of relocate_new_kernel (__pa_symbol). */
  public long relocateKernelPhysical() {
    return text.physical(relocateKernelVirtual);
  }

  /** __va(pa): the direct-map address of a lowmem physical address. */
  public long directMapVirtual(long physical) {
    return arch.directMapVirtual(physical);
  }

  /** The pgd CR3 points at: the current process's. */
  public long currentPgd() {
    return arch.pagingMode().rootTable(registers.cr3());
  }

  public KernelProcess currentProcess() {
    return processes.stream().filter(p -> p.pid() == currentPid).findFirst().orElseThrow();
  }

  /** Every root the kernel has: its own pgd, then each process's. */
  public List<Long> allRoots() {
    List<Long> roots = new ArrayList<>();
    roots.add(kernelPgd);
    processes.forEach(p -> roots.add(p.pgdPhysical()));
    return roots;
  }

  /** totalram_pages(): usable RAM minus what memblock kept (the crash region). */
  public long totalRamPages() {
    long crash = crashRegion.map(CrashRegion::size).orElse(0L);
    return (memory.ramMap().usableBytes() - crash) >>> 12;
  }

  /**
   * What kexec_load sees of this kernel, with a page allocator whose free lists are shuffled
   * by {@code allocatorSeed}. Each call makes a new allocator: use one host per load.
   */
  public KexecHost kexecHost(long allocatorSeed) {
    List<PhysicalRange> reserved = new ArrayList<>();
    reserved.add(imageRange);
    crashRegion.ifPresent(r -> reserved.add(r.range()));
    reserved.addAll(memmap);
    return new KexecHost(
        arch, memory, totalRamPages(), crashRegion, new RandomFreePages(memory, reserved, allocatorSeed));
  }
}
