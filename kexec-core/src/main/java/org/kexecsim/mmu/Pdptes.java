package org.kexecsim.mmu;

/**
 * The four PDPTE registers of PAE paging (SDM Vol. 3A §4.4.1). They are loaded from memory on
 * a MOV to CR3 (and some CR0/CR4 writes) and walks use these copies, not memory, until the next
 * load.
 */
public record Pdptes(long e0, long e1, long e2, long e3) {
  public static final Pdptes NONE = new Pdptes(0, 0, 0, 0);

  public long get(int index) {
    return switch (index) {
      case 0 -> e0;
      case 1 -> e1;
      case 2 -> e2;
      case 3 -> e3;
      default -> throw new IndexOutOfBoundsException(index);
    };
  }
}
