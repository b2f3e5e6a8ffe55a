package org.kexecsim.mmu;

/** IA32_EFER (MSR 0xC0000080) bits (SDM Vol. 3A §2.2.1, Table 2-1 of Vol. 4). */
public final class Efer {
  private Efer() {}

  public static final int MSR = 0xC000_0080;

  public static final long SCE = 1L << 0;
  /** Long mode enable: IA-32e mode is activated when paging is next enabled. */
  public static final long LME = 1L << 8;
  /** Long mode active: set by the CPU, read-only to WRMSR. */
  public static final long LMA = 1L << 10;
  /** Execute-disable enable: bit 63 of PAE and 4-level entries means XD only when set. */
  public static final long NXE = 1L << 11;

  public static final long SUPPORTED = SCE | LME | LMA | NXE;
}
