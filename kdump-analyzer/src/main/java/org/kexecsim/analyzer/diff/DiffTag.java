package org.kexecsim.analyzer.diff;

/** What a differing physical range is known to be. */
public enum DiffTag {
  /** Inside the crashkernel= reservation: the capture kernel lives there, so it is expected to change. */
  CRASH_REGION,
  /** A page-table page of the old kernel (reachable from A's root): a change there breaks the old kernel's mappings. */
  PAGE_TABLE,
  /** The old kernel's text, [_stext, _etext) from VMCOREINFO. */
  KERNEL_TEXT,
  /** RAM that only A has (e.g. the crash region a /proc/vmcore leaves out). */
  ONLY_IN_A,
  ONLY_IN_B,
  /** RAM that A's dump file leaves out (makedumpfile's dump level excluded it): not compared, not a difference. */
  EXCLUDED_IN_A,
  EXCLUDED_IN_B;

  /** Whether a range with this tag was left uncompared rather than found different. */
  public boolean excluded() {
    return this == EXCLUDED_IN_A || this == EXCLUDED_IN_B;
  }
}
