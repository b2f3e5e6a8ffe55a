package org.kexecsim.dump;

/** Which producer's file layout an {@link ElfCoreWriter} reproduces. */
public enum CoreLayout {
  /**
   * The capture kernel's /proc/vmcore (fs/proc/vmcore.c over the elfcorehdr of kexec-tools
   * kexec/crashdump-elf.c): one merged PT_NOTE (per-CPU NT_PRSTATUS, then VMCOREINFO) at a
   * page-aligned offset, then one PT_LOAD per System RAM range minus the crash region at
   * sequential page-aligned offsets, p_vaddr = PAGE_OFFSET + p_paddr in the direct map.
   */
  VMCORE,
  /**
   * QEMU dump-guest-memory without paging (dump/dump.c): PT_NOTE first, notes right after the
   * program headers (NT_PRSTATUS per vCPU, then a "QEMU" QEMUCPUState per vCPU, then the guest's
   * VMCOREINFO if it published one), then memory at sequential offsets, p_vaddr 0.
   */
  QEMU
}
