package org.kexecsim.cpu;

import org.kexecsim.mmu.ExceptionVector;

/**
 * An exception the instruction being executed (or an event being delivered) raises. Thrown from
 * memory-access depth and caught once per instruction, so it carries no stack trace; faults are
 * rare next to instructions, and threading a result code through every access would cost more.
 */
final class CpuFault extends RuntimeException {
  final ExceptionVector vector;
  final int errorCode;
  final String rule;

  CpuFault(ExceptionVector vector, int errorCode, String rule) {
    super(rule, null, false, false);
    this.vector = vector;
    this.errorCode = errorCode;
    this.rule = rule;
  }

  static CpuFault gp(int errorCode, String rule) {
    return new CpuFault(ExceptionVector.GP, errorCode, rule);
  }

  static CpuFault ud(String rule) {
    return new CpuFault(ExceptionVector.UD, 0, rule);
  }
}
