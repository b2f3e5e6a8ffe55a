package org.kexecsim.mmu;

/** Bits of the error code a #PF pushes (SDM Vol. 3A §4.7, Figure 4-12). */
public final class PageFaultErrorCode {
  private PageFaultErrorCode() {}

  /** 0: the page was not present; 1: a protection violation or a reserved bit. */
  public static final int P = 1;
  public static final int WR = 1 << 1;
  public static final int US = 1 << 2;
  /** A reserved bit was set in some entry; only ever with P=1. */
  public static final int RSVD = 1 << 3;
  /** Instruction fetch; reported only when (PAE and NXE) or SMEP (§4.7). */
  public static final int ID = 1 << 4;

  /** "P W U RSVD I/D" names of the set bits, for traces. */
  public static String describe(int errorCode) {
    StringBuilder sb = new StringBuilder();
    sb.append((errorCode & P) != 0 ? "protection" : "not-present");
    if ((errorCode & WR) != 0) sb.append(" write");
    if ((errorCode & US) != 0) sb.append(" user");
    if ((errorCode & RSVD) != 0) sb.append(" reserved-bit");
    if ((errorCode & ID) != 0) sb.append(" fetch");
    return sb.toString();
  }
}
