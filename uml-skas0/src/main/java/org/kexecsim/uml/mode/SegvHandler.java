package org.kexecsim.uml.mode;

import org.kexecsim.uml.host.Code;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;
import org.kexecsim.uml.host.SigFrame;

/**
 * stub_segv_handler (seed; arch/um/kernel/skas/process.c): runs on the data page (sigaltstack),
 * reads cr2, err and trapno from the sigcontext the host wrote there, stores them as a struct
 * faultinfo at the base of the stub stack and SIGSTOPs itself. All through the host MMU, as the
 * process's own user-mode accesses. Today's handler (arch/x86/um/stub_segv.c) writes it at the
 * start of the stub data area and ends with int3 instead.
 */
final class SegvHandler implements Code {
  private final boolean today;

  SegvHandler(boolean today) {
    this.today = today;
  }

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    int w = arch.wordSize();
    long frame = p.regs().sp();
    long f = host.userTranslate(p, frame, false);
    if (f < 0) {
      return true;
    }
    long err = host.readWord(f + (long) SigFrame.SC_ERR * w);
    long trap = host.readWord(f + (long) SigFrame.SC_TRAPNO * w);
    long cr2 = host.readWord(f + (long) SigFrame.SC_CR2 * w);
    long fi = host.userTranslate(p, today ? PtraceDriver.dataVa(arch) : arch.stubData(), true);
    if (fi < 0) {
      return true;
    }
    host.memory().writeU32(fi + FaultInfo.errOffset(arch), err);
    host.memory().writeU32(fi + FaultInfo.trapOffset(arch), trap);
    if (w == 8) {
      host.memory().writeU64(fi + FaultInfo.cr2Offset(arch), cr2);
    } else {
      host.memory().writeU32(fi + FaultInfo.cr2Offset(arch), cr2);
    }
    if (today) {
      host.raise(p, org.kexecsim.uml.host.Signal.SIGTRAP); // int3
    } else {
      SyscallStub.stopSelf(host, p);
    }
    return true;
  }
}
