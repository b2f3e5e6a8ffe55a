package org.kexecsim.dump;

/** One CPU's state for a writer: the pid its NT_PRSTATUS names and the registers. */
public record CpuSnapshot(int pid, RegisterFile registers) {}
