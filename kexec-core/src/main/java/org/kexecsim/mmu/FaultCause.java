package org.kexecsim.mmu;

/** Why a translation faulted, in words a kernel developer uses. */
public enum FaultCause {
  NON_CANONICAL("non-canonical address"),
  NOT_PRESENT("entry not present"),
  RESERVED_BIT("reserved bit set"),
  USER_ACCESS_TO_SUPERVISOR_PAGE("user access to a supervisor page"),
  WRITE_TO_READ_ONLY_PAGE("write to a read-only page"),
  EXECUTE_DISABLED("fetch from an execute-disabled page"),
  SMEP("supervisor fetch from a user page (SMEP)");

  private final String text;

  FaultCause(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }
}
