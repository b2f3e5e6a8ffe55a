package org.kexecsim.cpu;

import org.kexecsim.mmu.ExceptionVector;

/**
 * One exception raised, in the order raised: the chain #PF → #GP → #DF → triple fault is a list
 * of these.
 *
 * @param rip the instruction that was executing when it was raised
 * @param errorCode the error code (meaningful when the vector pushes one)
 * @param cr2 CR2 after it was raised (the faulting linear address for #PF)
 * @param duringDeliveryOf the vector being delivered when this one arose, or null
 * @param rule why, with the SDM reference
 */
public record ExceptionEvent(
    ExceptionVector vector, int errorCode, long rip, long cr2, ExceptionVector duringDeliveryOf, String rule) {

  @Override
  public String toString() {
    String code = vector.pushesErrorCode() ? String.format("(0x%x)", errorCode) : "";
    String during = duringDeliveryOf == null ? "" : " while delivering " + duringDeliveryOf.mnemonic();
    String cr2Text = vector == ExceptionVector.PF ? String.format(" CR2=0x%x", cr2) : "";
    return String.format("%s%s at RIP 0x%x%s%s: %s", vector.mnemonic(), code, rip, cr2Text, during, rule);
  }
}
