package org.kexecsim.kernel;

/**
 * The GDT and IDT a running Linux kernel has loaded (arch/x86/include/asm/segment.h,
 * arch/x86/kernel/cpu/common.c gdt_page, arch/x86/kernel/idt.c). Descriptor encodings per SDM
 * Vol. 3A §3.4.5 and §6.11/§6.14.1; code and data descriptors carry A=1 because the CPU sets it
 * when the selector is loaded.
 */
public final class SegmentDescriptors {
  private SegmentDescriptors() {}

  /** x86_64: GDT_ENTRY_KERNEL_CS 2 → __KERNEL_CS 0x10, __KERNEL_DS 0x18, __USER_DS 0x2b, __USER_CS 0x33. */
  public static final int X86_64_KERNEL_CS = 0x10;
  public static final int X86_64_KERNEL_DS = 0x18;
  public static final int X86_64_USER_DS = 0x2b;
  public static final int X86_64_USER_CS = 0x33;
  /** GDT_ENTRIES 16 on x86_64. */
  public static final int X86_64_GDT_ENTRIES = 16;

  /** i386: GDT_ENTRY_KERNEL_CS 12 → __KERNEL_CS 0x60, __KERNEL_DS 0x68, __USER_CS 0x73, __USER_DS 0x7b. */
  public static final int I386_KERNEL_CS = 0x60;
  public static final int I386_KERNEL_DS = 0x68;
  public static final int I386_USER_CS = 0x73;
  public static final int I386_USER_DS = 0x7b;
  /** GDT_ENTRIES 32 on i386. */
  public static final int I386_GDT_ENTRIES = 32;

  /** 64-bit code, DPL 0: L=1, D=0, G=1, limit 0xfffff, type 0xb (exec/read, accessed). */
  public static final long CODE64_KERNEL = 0x00af9b000000ffffL;
  /** 32-bit code, DPL 0: D=1, G=1, flat 4 GiB. */
  public static final long CODE32_KERNEL = 0x00cf9b000000ffffL;
  /** Data read/write, DPL 0, flat 4 GiB. */
  public static final long DATA_KERNEL = 0x00cf93000000ffffL;
  public static final long CODE64_USER = 0x00affb000000ffffL;
  public static final long CODE32_USER = 0x00cffb000000ffffL;
  public static final long DATA_USER = 0x00cff3000000ffffL;

  /** The first 8 bytes of an interrupt gate (type 0xE, P=1, DPL 0) to {@code handler} through {@code selector}. */
  public static long interruptGateLow(long handler, int selector) {
    return (handler & 0xFFFFL) | ((long) selector << 16) | (0x8EL << 40) | (((handler >>> 16) & 0xFFFFL) << 48);
  }
}
