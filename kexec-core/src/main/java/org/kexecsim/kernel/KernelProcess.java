package org.kexecsim.kernel;

/**
 * A user process of the crashed kernel: its own pgd, whose user half maps its pages and whose
 * kernel half is a copy of the kernel's (pgd_alloc / clone_pgd_range, arch/x86/mm/pgtable.c).
 *
 * @param pgdPhysical what CR3 holds while it runs (for PAE: the PDPT)
 * @param userPages virtual addresses of the 4 KiB user pages it maps
 */
public record KernelProcess(int pid, String comm, long pgdPhysical, java.util.List<Long> userPages) {
  public KernelProcess {
    userPages = java.util.List.copyOf(userPages);
  }
}
