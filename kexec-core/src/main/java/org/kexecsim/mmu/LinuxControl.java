package org.kexecsim.mmu;

import org.kexecsim.memory.PhysicalMemory;

/**
 * The CR0, CR4 and EFER a Linux kernel runs with in each paging mode: the one place they are
 * written (the synthetic crashed kernel, the transition's checks, translate's defaults, the
 * analyzer's mode from VMCOREINFO or --mode, UML's host).
 *
 * <ul>
 *   <li>CR0: {@code CR0_STATE} = PE|MP|ET|NE|WP|AM|PG (arch/x86/include/uapi/asm/processor-flags.h),
 *       which head_32.S and head_64.S load into CR0. ET and NE are set: a Linux kernel never runs
 *       with them clear.
 *   <li>CR4: PSE, and PAE in PAE and IA-32e paging (head_32.S, head_64.S); LA57 with 5-level paging
 *       (head_64.S, CONFIG_X86_5LEVEL); PGE (probe_page_size_mask(), arch/x86/mm/init.c); OSFXSR and
 *       OSXMMEXCPT (fpu__init_cpu_generic(), arch/x86/kernel/fpu/init.c).
 *   <li>EFER: LME with LMA once paging is on in 64-bit mode (head_64.S), NXE where entries have an
 *       XD bit (PAE and IA-32e paging; 32-bit paging has none), SCE on x86_64 (syscall_init(),
 *       arch/x86/kernel/cpu/common.c).
 * </ul>
 * None of PGE, OSFXSR, OSXMMEXCPT, SCE, MP or AM changes a translation (SDM Vol. 3A §4.1.3); they
 * are here so that registers built from this record read as a real kernel's do.
 */
public record LinuxControl(long cr0, long cr4, long efer) {
  public static final long CR0_STATE = Cr0.PE | Cr0.MP | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.AM | Cr0.PG;

  private static final long CR4_COMMON = Cr4.PSE | Cr4.PGE | Cr4.OSFXSR | Cr4.OSXMMEXCPT;

  /** The registers of a kernel in {@code mode}; with paging off, protected mode only. */
  public static LinuxControl of(PagingMode mode) {
    return switch (mode) {
      case DISABLED -> new LinuxControl(Cr0.PE, 0, 0);
      case BITS32 -> new LinuxControl(CR0_STATE, CR4_COMMON, 0);
      case PAE -> new LinuxControl(CR0_STATE, CR4_COMMON | Cr4.PAE, Efer.NXE);
      case LEVEL4 -> new LinuxControl(CR0_STATE, CR4_COMMON | Cr4.PAE, Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE);
      case LEVEL5 -> new LinuxControl(CR0_STATE, CR4_COMMON | Cr4.PAE | Cr4.LA57, Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE);
    };
  }

  /** These registers with {@code cr3} loaded over {@code memory}: the paging state, or the fault. */
  public PagingLoad load(long cr3, PhysicalMemory memory, CpuFeatures features, ReservedBitPolicy policy) {
    return PagingLoad.of(cr0, cr3, cr4, efer, memory, features, policy);
  }

  public PagingLoad load(long cr3, PhysicalMemory memory, CpuFeatures features) {
    return load(cr3, memory, features, ReservedBitPolicy.FAULT);
  }
}
