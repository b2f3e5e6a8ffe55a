package org.kexecsim.uml.mode;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.uml.host.HostArch;

/**
 * struct faultinfo, which the skas0 SIGSEGV handler leaves at the base of the stub stack (the
 * start of the data page). Layouts: x86_64 {int error_code; unsigned long cr2; int trap_no}
 * (arch/x86/um/shared/sysdep/faultinfo_64.h), i386 {cr2; error_code; trap_no}, word-sized
 * (faultinfo_32.h).
 */
public record FaultInfo(long cr2, int errorCode, int trapNo) {
  /** FAULT_WRITE: bit 1 of the error code. */
  public boolean isWrite() {
    return (errorCode & 2) != 0;
  }

  /** SEGV_IS_FIXABLE: a page fault, which UML can handle, unlike a #GP. */
  public boolean fixable() {
    return trapNo == 14;
  }

  static int errOffset(HostArch a) {
    return a == HostArch.X86_64 ? 0 : 4;
  }

  static int cr2Offset(HostArch a) {
    return a == HostArch.X86_64 ? 8 : 0;
  }

  static int trapOffset(HostArch a) {
    return a == HostArch.X86_64 ? 16 : 8;
  }

  /** Reads the struct at {@code base} (UML reads it straight from its physmem). */
  public static FaultInfo read(PhysicalMemory m, long base, HostArch a) {
    long cr2 = a.readWord(m, base + cr2Offset(a));
    return new FaultInfo(cr2, (int) m.readU32(base + errOffset(a)), (int) m.readU32(base + trapOffset(a)));
  }
}
