package org.kexecsim.uml.kernel;

/** A guest vm_area_struct: {@code [start, end)} with mmap protection bits. */
public record GuestVma(long start, long end, int prot) {
  public boolean overlaps(long from, long to) {
    return start < to && from < end;
  }
}
