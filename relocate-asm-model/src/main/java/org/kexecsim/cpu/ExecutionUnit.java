package org.kexecsim.cpu;

/**
 * What the {@link Executor}'s units share: each works on the current instruction's {@link
 * CpuState} (operands, the next RIP, the stack) and the {@link Cpu} it belongs to.
 */
abstract class ExecutionUnit {
  final CpuState st;
  final Cpu cpu;

  ExecutionUnit(CpuState st) {
    this.st = st;
    this.cpu = st.cpu;
  }
}
