package org.kexecsim.analyzer.ptdump;

/**
 * Consecutive leaves with the same page size and rights, printed as one line the way the kernel's
 * arch/x86/mm/dump_pagetables.c groups them.
 *
 * @param start first linear address, sign-extended in long mode
 * @param physical physical address of the first byte
 * @param physicallyContiguous whether the whole range maps to {@code [physical, physical+size)}
 * @param pageSize "4K", "2M", "4M" or "1G"
 * @param leaves how many leaf entries the range holds
 * @param kernel whether the range is in the kernel half (upper canonical half; at or above
 *     PAGE_OFFSET 0xc0000000 for 32-bit and PAE)
 */
public record MappedRange(
    long start, long size, long physical, boolean physicallyContiguous, String pageSize, long leaves,
    boolean rw, boolean user, boolean nx, boolean global, boolean kernel) {

  /** The exclusive end, wrapping to 0 at the top of the address space. */
  public long end() {
    return start + size;
  }

  /** "RW", "ro"; "USR", "   "; "NX", "x" as dump_pagetables prints them. */
  public String flagsText() {
    return String.format("%-3s %-3s %-3s %-2s", rw ? "RW" : "ro", user ? "USR" : "", global ? "GLB" : "", nx ? "NX" : "x");
  }
}
