package org.kexecsim.mmu;

import org.kexecsim.input.CliNamed;

/**
 * Which x86 the simulated CPU is: the SDM's (real hardware, Bochs) or QEMU TCG's, which is
 * lenient where the 2006 kexec thread found out the hard way ("a i386/PAE page table problem only
 * triggering on real hardware", V2 cover letter).
 *
 * <ul>
 *   <li>{@link #HARDWARE}: a MOV to CR3 (and the CR0/CR4 writes of SDM §4.4.1) loads the four PAE
 *       PDPTEs into registers, checking them: a present one with a reserved bit is #GP(0); walks
 *       use the registers until the next load. Global TLB entries survive a MOV to CR3
 *       (§4.10.4.1).
 *   <li>{@link #QEMU}: no PDPTE check at the load ("XXX: in legacy PAE mode, generate a GPF if
 *       reserved bits are set in the PDPT", target/i386/helper.c cpu_x86_update_cr3); every walk
 *       re-reads the PDPTE from memory, accepts R/W, U/S, A, D, PS and G in it, faults only on
 *       bits 63:M, and sets A in it (target/i386/tcg/system/excp_helper.c mmu_translate); a MOV to
 *       CR3 flushes the whole softmmu TLB, global entries too (tlb_flush).
 * </ul>
 */
public enum CpuModel implements CliNamed {
  HARDWARE,
  QEMU;

  public static CpuModel fromCliName(String name) {
    return CliNamed.parse(CpuModel.class, "CPU model", name, IllegalArgumentException::new);
  }

  /** Whether a CR load checks PAE PDPTEs and walks use the registers it loaded (SDM §4.4.1). */
  public boolean cachesPdptes() {
    return this == HARDWARE;
  }

  /** Whether global TLB entries survive a MOV to CR3 (SDM §4.10.4.1); QEMU's tlb_flush drops all. */
  public boolean keepsGlobalEntriesAcrossCr3() {
    return this == HARDWARE;
  }
}
