package org.kexecsim.kimage;

/** The error numbers kexec_load(2) returns for the rules this model implements (include/uapi/asm-generic/errno*.h). */
public enum Errno {
  /** Invalid argument: too many segments, overlap, bufsz &gt; memsz, too much memory. */
  EINVAL(22),
  /** Cannot assign requested address: unaligned or out-of-range destinations, outside the crash region. */
  EADDRNOTAVAIL(99),
  /** Out of memory: no control page or indirection page could be found. */
  ENOMEM(12),
  /** Device or resource busy: kexec_trylock() failed, another load or a crash is in progress. */
  EBUSY(16);

  private final int number;

  Errno(int number) {
    this.number = number;
  }

  /** The positive errno value; the syscall returns its negation. */
  public int number() {
    return number;
  }
}
