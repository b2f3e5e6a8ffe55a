package org.kexecsim.kimage;

import org.kexecsim.input.CliNamed;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;

/**
 * The three kernel flavours the model runs, with the constants their headers give kexec.
 *
 * <p>Limits are the values of {@code unsigned long} expressions, so on the 32-bit kernels they
 * are 32-bit values: -1UL is 0xffffffff.
 */
public enum Arch implements CliNamed {
  /** i386 without PAE: 32-bit paging, 4 MiB pages with PSE. */
  I386("i386", PagingMode.BITS32, 4, PageSize.SIZE_4M),
  /** i386 with CONFIG_X86_PAE: PDPT registers, 2 MiB pages, NX. */
  PAE("pae", PagingMode.PAE, 4, PageSize.SIZE_2M),
  /** x86_64 with 4-level paging. */
  X86_64("x86_64", PagingMode.LEVEL4, 8, PageSize.SIZE_1G);

  private static final long MIB = 1L << 20;

  private final String cliName;
  private final PagingMode pagingMode;
  private final int longBytes;
  private final PageSize largestPage;

  Arch(String cliName, PagingMode pagingMode, int longBytes, PageSize largestPage) {
    this.cliName = cliName;
    this.pagingMode = pagingMode;
    this.longBytes = longBytes;
    this.largestPage = largestPage;
  }

  @Override
  public String cliName() {
    return cliName;
  }

  public PagingMode pagingMode() {
    return pagingMode;
  }

  /** sizeof(unsigned long): also the size of a kimage_entry_t in the indirection list. */
  public int longBytes() {
    return longBytes;
  }

  public boolean is64Bit() {
    return longBytes == 8;
  }

  /** The largest page the kernel's own direct map uses. */
  public PageSize largestPage() {
    return largestPage;
  }

  /** Whether page-table entries carry an XD bit (PAE and 4-level paging, with EFER.NXE). */
  public boolean hasNx() {
    return this != I386;
  }

  /** All ones in an unsigned long: -1UL. */
  public long unsignedLongMask() {
    return is64Bit() ? -1L : 0xFFFF_FFFFL;
  }

  /**
   * MAXMEM on x86_64 with 4-level paging: 1 &lt;&lt; MAX_PHYSMEM_BITS = 2^46
   * (arch/x86/include/asm/pgtable_64_types.h, sparsemem.h).
   */
  static final long X86_64_MAXMEM = 1L << 46;

  /**
   * KEXEC_DESTINATION_MEMORY_LIMIT (arch/x86/include/asm/kexec.h): MAXMEM-1 on x86_64, -1UL on
   * i386. sanity_check_segment_list refuses a segment whose end reaches it.
   */
  public long destinationMemoryLimit() {
    return is64Bit() ? X86_64_MAXMEM - 1 : 0xFFFF_FFFFL;
  }

  /**
   * KEXEC_CONTROL_MEMORY_LIMIT (arch/x86/include/asm/kexec.h): MAXMEM-1 on x86_64; TASK_SIZE on
   * i386, which keeps the control page's identity address in the user half, below the kernel's
   * own mappings.
   */
  public long controlMemoryLimit() {
    return is64Bit() ? X86_64_MAXMEM - 1 : 0xC000_0000L;
  }

  /**
   * KEXEC_SOURCE_MEMORY_LIMIT (-1UL): source pages must be addressable by the copy loop, which on
   * i386 runs with paging off and so reaches only the low 4 GiB.
   */
  public long sourceMemoryLimit() {
    return unsignedLongMask();
  }

  /** PAGE_OFFSET: where the direct map starts (x86_64 without KASLR: 0xffff888000000000). */
  public long pageOffset() {
    return is64Bit() ? 0xFFFF_8880_0000_0000L : 0xC000_0000L;
  }

  /** __va(pa) through the direct map. */
  public long directMapVirtual(long physical) {
    return pageOffset() + physical;
  }

  /**
   * How much RAM the i386 direct map covers: lowmem, 896 MiB (MAXMEM = -__VMALLOC_RESERVE -
   * PAGE_OFFSET with a 128 MiB vmalloc reserve, arch/x86/include/asm/pgtable_32_areas.h).
   * x86_64 maps all RAM.
   */
  public long lowmemLimit() {
    return is64Bit() ? X86_64_MAXMEM : 896 * MIB;
  }

  /**
   * The most physical memory a machine of this arch may have here: x86_64 with 4-level paging maps
   * all of it in a 64 TiB direct map (MAXMEM, 2^46; Documentation/arch/x86/x86_64/mm.rst, "64 TB
   * direct mapping of all physical memory"); a PAE kernel reaches 64 GiB (36-bit addresses,
   * arch/x86/Kconfig HIGHMEM64G "up to 64 Gigabytes"). A non-PAE i386 kernel uses only the low
   * 4 GiB (32-bit paging yields 32-bit physical addresses, SDM Vol. 3A §4.3; arch/x86/mm/init_32.c
   * trims max_pfn to MAX_NONPAE_PFN), but its machine may hold more, up to the 36 bits its CPU
   * addresses. RAM ending above this is refused as input rather than simulated into a triple fault.
   */
  public long maxRam() {
    return switch (this) {
      case I386, PAE -> 1L << 36;
      case X86_64 -> X86_64_MAXMEM;
    };
  }

  /** CRASH_ALIGN: 16 MiB on x86 (arch/x86/include/asm/crash_reserve.h). */
  public long crashAlign() {
    return 16 * MIB;
  }

  /** CRASH_ADDR_LOW_MAX: 4 GiB on x86_64, 512 MiB on i386 (arch/x86/include/asm/crash_reserve.h). */
  public long crashAddrLowMax() {
    return is64Bit() ? 1L << 32 : 512 * MIB;
  }

  /** CRASH_ADDR_HIGH_MAX: 64 TiB on x86_64, 512 MiB on i386 (arch/x86/include/asm/crash_reserve.h). */
  public long crashAddrHighMax() {
    return is64Bit() ? 1L << 46 : 512 * MIB;
  }

  /** KEXEC_CONTROL_PAGE_SIZE: 4096 on both (8192 on x86_64 before v6.14, 4b5bc2ec9a23). */
  public long controlPageSize() {
    return 4096;
  }

  /** e_machine of the kernel's ELF notes and core headers: EM_386 3, EM_X86_64 62. */
  public int elfMachine() {
    return is64Bit() ? 62 : 3;
  }

  public static Arch fromCliName(String name) {
    return CliNamed.parse(Arch.class, "arch", name, ImpossibleLayoutException::new);
  }
}
