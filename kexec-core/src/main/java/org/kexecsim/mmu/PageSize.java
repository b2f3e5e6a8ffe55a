package org.kexecsim.mmu;

/** The page sizes x86 paging can map. */
public enum PageSize {
  SIZE_4K(12),
  SIZE_2M(21),
  SIZE_4M(22),
  SIZE_1G(30);

  private final int shift;

  PageSize(int shift) {
    this.shift = shift;
  }

  public int shift() {
    return shift;
  }

  public long bytes() {
    return 1L << shift;
  }

  public static PageSize ofShift(int shift) {
    for (PageSize s : values()) {
      if (s.shift == shift) {
        return s;
      }
    }
    throw new IllegalArgumentException("no page size of 2^" + shift + " bytes");
  }

  /** 4K, 2M, 4M, 1G. */
  public String label() {
    return switch (this) {
      case SIZE_4K -> "4K";
      case SIZE_2M -> "2M";
      case SIZE_4M -> "4M";
      case SIZE_1G -> "1G";
    };
  }
}
