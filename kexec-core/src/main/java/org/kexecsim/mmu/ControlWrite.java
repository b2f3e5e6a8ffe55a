package org.kexecsim.mmu;

/** The outcome of writing a control register: the new state, or the fault the CPU raises. */
public sealed interface ControlWrite {

  /** The write took effect; {@code state} may differ in more than the written register (LMA, PDPTEs). */
  record Accepted(ControlState state) implements ControlWrite {}

  /** The write raised {@code vector} with {@code errorCode}; the state is unchanged. */
  record Refused(ExceptionVector vector, int errorCode, String rule) implements ControlWrite {}
}
