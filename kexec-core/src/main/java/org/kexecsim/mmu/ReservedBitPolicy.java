package org.kexecsim.mmu;

/**
 * What a walk does with a present entry that sets a bit the SDM reserves (Vol. 3A §4.3–4.5, the
 * reserved-bit tables; §4.4.1 for PAE PDPTEs). A closed set of two, chosen by who walks:
 *
 * <ul>
 *   <li>{@link Fault} — the CPU model: #PF with P|RSVD on the access (§4.7), #GP(0) on the MOV to
 *       CR3/CR0/CR4 that loads a bad PAE PDPTE (§4.4.1);
 *   <li>{@link Report} — the dump analyzer: the machine that wrote the dump ran with these entries
 *       (QEMU TCG, for one, sets A in PAE PDPTEs and never checks them: target/i386/tcg/system/
 *       excp_helper.c mmu_translate), so the walk reads on as if the bits were clear and each
 *       reserved bit it met is recorded on its {@link WalkStep} as a finding.
 * </ul>
 */
public sealed interface ReservedBitPolicy {
  Fault FAULT = new Fault();
  Report REPORT = new Report();

  /** Whether a reserved bit stops the walk (or the CR3 load) with the architectural fault. */
  boolean faults();

  /** What a CPU does: the walk or the PDPTE load faults. */
  record Fault() implements ReservedBitPolicy {
    @Override
    public boolean faults() {
      return true;
    }
  }

  /** What an analyzer of a dump does: translate through, and say what it saw. */
  record Report() implements ReservedBitPolicy {
    @Override
    public boolean faults() {
      return false;
    }
  }
}
