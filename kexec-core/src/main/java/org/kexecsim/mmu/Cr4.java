package org.kexecsim.mmu;

/** CR4 bits (SDM Vol. 3A §2.5, Figure 2-7). */
public final class Cr4 {
  private Cr4() {}

  public static final long VME = 1L << 0;
  public static final long PVI = 1L << 1;
  public static final long TSD = 1L << 2;
  public static final long DE = 1L << 3;
  /** Page size extensions: 4 MiB pages in 32-bit paging. Ignored by PAE and 4-level paging. */
  public static final long PSE = 1L << 4;
  public static final long PAE = 1L << 5;
  public static final long MCE = 1L << 6;
  public static final long PGE = 1L << 7;
  public static final long PCE = 1L << 8;
  public static final long OSFXSR = 1L << 9;
  public static final long OSXMMEXCPT = 1L << 10;
  public static final long UMIP = 1L << 11;
  /** 57-bit linear addresses: 5-level paging when IA-32e mode is active. */
  public static final long LA57 = 1L << 12;
  public static final long VMXE = 1L << 13;
  public static final long SMXE = 1L << 14;
  public static final long FSGSBASE = 1L << 16;
  public static final long PCIDE = 1L << 17;
  public static final long OSXSAVE = 1L << 18;
  public static final long SMEP = 1L << 20;
  public static final long SMAP = 1L << 21;
  public static final long PKE = 1L << 22;

  /** The bits this model's CPU implements; setting any other bit is #GP(0). */
  public static final long SUPPORTED =
      VME | PVI | TSD | DE | PSE | PAE | MCE | PGE | PCE | OSFXSR | OSXMMEXCPT | UMIP | LA57
          | VMXE | SMXE | FSGSBASE | PCIDE | OSXSAVE | SMEP | SMAP | PKE;
}
