package org.kexecsim.uml.host;

/**
 * What the host kernel saves about a fault in the signal frame's sigcontext
 * (arch/x86/include/uapi/asm/sigcontext.h: cr2, err, trapno).
 *
 * @param cr2 the faulting linear address
 * @param err the #PF error code the MMU produced
 * @param trap the exception vector, 14 for #PF
 */
public record SigContext(long cr2, int err, int trap) {
  public static final int TRAP_PAGE_FAULT = 14;

  public boolean isWrite() {
    return (err & 2) != 0;
  }
}
