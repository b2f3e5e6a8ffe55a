package org.kexecsim.dump;

/** Per-CPU state a dump records: the kernel's NT_PRSTATUS or QEMU's QEMUCPUState. */
public sealed interface CpuNote permits PrStatus, QemuCpuState {
  /** The note's n_name. */
  String noteName();

  RegisterFile registers();
}
