package org.kexecsim.cpu;

/** RFLAGS bits (SDM Vol. 1 §3.4.3) and the masks POPF and IRET load at CPL 0. */
public final class Rflags {
  private Rflags() {}

  public static final long CF = 1L, PF = 1L << 2, AF = 1L << 4, ZF = 1L << 6, SF = 1L << 7, TF = 1L << 8;
  public static final long IF = 1L << 9, DF = 1L << 10, OF = 1L << 11, IOPL = 3L << 12, NT = 1L << 14;
  public static final long RF = 1L << 16, VM = 1L << 17, AC = 1L << 18, ID = 1L << 21;
  /** Bit 1 is reserved and always reads as 1. */
  public static final long FIXED = 1L << 1;

  static final long ARITH = CF | PF | AF | ZF | SF | OF;
  /** POPF at CPL 0 loads these; RF is cleared, VM/VIF/VIP are kept (SDM Vol. 2 POPF). */
  static final long POPF_MASK = ARITH | TF | IF | DF | IOPL | NT | AC | ID;
  /** IRET at CPL 0 also loads RF (SDM Vol. 2 IRET); VM (virtual-8086 return) is not modelled. */
  static final long IRET_MASK = POPF_MASK | RF;
}
