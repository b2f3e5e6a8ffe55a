package org.kexecsim.mmu;

/**
 * What the modelled CPU reports through CPUID and so what its MMU accepts.
 *
 * @param maxPhyAddr MAXPHYADDR (CPUID 80000008H:EAX[7:0]); 40 is QEMU TCG's default phys-bits
 * @param page1Gb whether 1 GiB pages exist (CPUID 80000001H:EDX[26]); without them PS in a
 *     PDPTE is a reserved bit (SDM §4.5)
 */
public record CpuFeatures(int maxPhyAddr, boolean page1Gb) {
  public static final CpuFeatures DEFAULT = new CpuFeatures(40, true);

  public CpuFeatures {
    if (maxPhyAddr < 32 || maxPhyAddr > 52) {
      throw new IllegalArgumentException("MAXPHYADDR must be in [32, 52], got " + maxPhyAddr);
    }
  }

  public static CpuFeatures withMaxPhyAddr(int maxPhyAddr) {
    return new CpuFeatures(maxPhyAddr, true);
  }

  /** Bits M-1:12: where a 4 KiB-aligned physical address lives in an entry. */
  public long frameMask() {
    return ((1L << maxPhyAddr) - 1) & ~0xFFFL;
  }
}
