package org.kexecsim.kernel;

/**
 * A GDT or IDT as the CPU's GDTR/IDTR see it: a linear base and a limit (SDM Vol. 3A §2.4), plus
 * where the table really is in physical memory.
 */
public record DescriptorTable(String name, long virtual, long physical, int limit) {

  /** Bytes covered: limit + 1. */
  public int size() {
    return limit + 1;
  }
}
