package org.kexecsim.mmu;

import java.util.List;

/** The result of translating one linear address, with the entries read on the way. */
public sealed interface Translation {

  long linear();

  List<WalkStep> steps();

  /** The address maps to {@code physical} through a page of {@code pageSize}. */
  record Mapped(long linear, long physical, PageSize pageSize, List<WalkStep> steps)
      implements Translation {}

  /**
   * The walk could not read a table: {@code physical} (the table an entry or CR3 points to, at
   * {@code level}, 1 = PT) is outside the memory's RAM, or, {@code excluded}, RAM the image does
   * not hold. Not a CPU outcome (the machine had the table) but the image's: a value, so that no
   * caller has to catch an exception and rebuild the walk's context. {@code reason} is the
   * memory's own sentence.
   */
  record Unreadable(long linear, long physical, int level, boolean excluded, String reason, List<WalkStep> steps)
      implements Translation {}

  /**
   * The access faults: #PF with its error code and CR2, or #GP(0) for a non-canonical address
   * (which does not walk and does not write CR2, so {@code cr2} is absent there).
   */
  record Faulted(
      long linear,
      ExceptionVector vector,
      int errorCode,
      boolean writesCr2,
      FaultCause cause,
      List<WalkStep> steps)
      implements Translation {

    public long cr2() {
      if (!writesCr2) {
        throw new IllegalStateException(vector.mnemonic() + " does not write CR2");
      }
      return linear;
    }

    public String describe() {
      return switch (vector) {
        case PF -> String.format(
            "#PF(0x%x: %s) cr2=0x%x: %s",
            errorCode, PageFaultErrorCode.describe(errorCode), linear, cause.text());
        default -> String.format("%s(0x%x): %s", vector.mnemonic(), errorCode, cause.text());
      };
    }
  }
}
