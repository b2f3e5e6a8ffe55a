package org.kexecsim.uml.kernel;

import org.kexecsim.uml.host.Prot;

/**
 * One change the host address space needs so that it matches the guest page tables: what
 * fix_range collects (arch/um/kernel/tlb.c add_mmap/add_munmap/add_mprotect) and a mode then
 * executes its own way.
 */
public sealed interface HostOp {
  long va();

  long len();

  /** mmap of physmem at guest-physical {@code offset}. */
  record Map(long va, long len, long offset, int prot) implements HostOp {
    @Override
    public String toString() {
      return String.format("mmap(0x%x, 0x%x, %s, physmem+0x%x)", va, len, Prot.describe(prot), offset);
    }
  }

  record Unmap(long va, long len) implements HostOp {
    @Override
    public String toString() {
      return String.format("munmap(0x%x, 0x%x)", va, len);
    }
  }

  record Protect(long va, long len, int prot) implements HostOp {
    @Override
    public String toString() {
      return String.format("mprotect(0x%x, 0x%x, %s)", va, len, Prot.describe(prot));
    }
  }
}
