package org.kexecsim.dump;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.memory.RamRange;

/**
 * What an {@link ElfCoreWriter} writes besides memory.
 *
 * @param elfClass ELF32 holds only 32-bit offsets and addresses; i386 machines with RAM above
 *     4 GiB need ELF64, as kexec-tools picks it
 * @param arch the elf_prstatus layout and e_machine
 * @param ranges the physical ranges to dump; for {@link CoreLayout#VMCORE} the crash region is
 *     cut out of them
 * @param crashRegion the crashkernel= reservation, absent from a /proc/vmcore
 * @param pageOffset PAGE_OFFSET of the direct map for p_vaddr; empty writes p_vaddr 0
 * @param directMapLimit physical addresses at or above this get p_vaddr -1 (i386 highmem, as
 *     kexec-tools kexec/arch/i386/crashdump-x86.c does above X86_MAXMEM); a /proc/vmcore range
 *     that straddles it is split there (segregate_lowmem_region)
 * @param kernelText the PT_LOAD for the kernel text mapping that kexec-tools puts first in an
 *     x86_64 elfcorehdr (crashdump-elf.c, from the /proc/kcore segment holding _stext)
 */
public record CoreSpec(
    ElfClass elfClass,
    PrStatus.Arch arch,
    CoreLayout layout,
    List<RamRange> ranges,
    List<CpuSnapshot> cpus,
    Optional<VmcoreInfo> vmcoreInfo,
    Optional<RamRange> crashRegion,
    OptionalLong pageOffset,
    long directMapLimit,
    Optional<KernelTextLoad> kernelText,
    List<ExtraNote> extraNotes) {

  /** A note written after the CPU notes and VMCOREINFO, as given (Xen's crash notes). */
  public record ExtraNote(String name, int type, byte[] desc) {}

  /** The kernel image seen through its own mapping: {@code size} bytes at {@code vaddr} backed by {@code paddr}. */
  public record KernelTextLoad(long vaddr, long paddr, long size) {}

  /** x86_64 PAGE_OFFSET without KASLR (arch/x86/include/asm/page_64_types.h, 4-level). */
  public static final long PAGE_OFFSET_X86_64 = 0xFFFF_8880_0000_0000L;
  /** i386 PAGE_OFFSET with the default 3G/1G split. */
  public static final long PAGE_OFFSET_I386 = 0xC000_0000L;
  /** i386 lowmem: 896 MiB is directly mapped with the default vmalloc reserve. */
  public static final long I386_LOWMEM = 896L << 20;

  public CoreSpec {
    ranges = List.copyOf(ranges);
    cpus = List.copyOf(cpus);
    extraNotes = List.copyOf(extraNotes);
  }

  /** This spec with {@code notes} written after the others. */
  public CoreSpec withNotes(List<ExtraNote> notes) {
    return new CoreSpec(elfClass, arch, layout, ranges, cpus, vmcoreInfo, crashRegion, pageOffset, directMapLimit,
        kernelText, notes);
  }

  /** This spec with a kernel-text PT_LOAD ahead of the RAM ones. */
  public CoreSpec withKernelText(KernelTextLoad load) {
    return new CoreSpec(elfClass, arch, layout, ranges, cpus, vmcoreInfo, crashRegion, pageOffset, directMapLimit,
        Optional.of(load), extraNotes);
  }

  /** A kernel-style /proc/vmcore of {@code ranges} for {@code arch}, with that arch's PAGE_OFFSET. */
  public static CoreSpec vmcore(ElfClass elfClass, PrStatus.Arch arch, List<RamRange> ranges, List<CpuSnapshot> cpus,
      Optional<VmcoreInfo> vmcoreInfo, Optional<RamRange> crashRegion) {
    boolean x64 = arch == PrStatus.Arch.X86_64;
    return new CoreSpec(elfClass, arch, CoreLayout.VMCORE, ranges, cpus, vmcoreInfo, crashRegion,
        OptionalLong.of(x64 ? PAGE_OFFSET_X86_64 : PAGE_OFFSET_I386), x64 ? 1L << 46 : I386_LOWMEM, Optional.empty(), List.of());
  }

  /** A QEMU dump-guest-memory file of {@code ranges}. */
  public static CoreSpec qemu(ElfClass elfClass, PrStatus.Arch arch, List<RamRange> ranges, List<CpuSnapshot> cpus,
      Optional<VmcoreInfo> vmcoreInfo) {
    return new CoreSpec(elfClass, arch, CoreLayout.QEMU, ranges, cpus, vmcoreInfo, Optional.empty(),
        OptionalLong.empty(), -1L, Optional.empty(), List.of());
  }
}
