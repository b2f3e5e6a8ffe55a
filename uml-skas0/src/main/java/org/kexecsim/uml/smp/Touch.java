package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/** A guest thread's single load or store of one byte, as a faulting instruction: it retries. */
final class Touch extends OneInstruction {
  private final long address;
  private final boolean write;

  Touch(long address, boolean write) {
    this.address = address;
    this.write = write;
  }

  @Override
  public String next(HostProcess p) {
    return String.format("%s byte at 0x%x", write ? "store" : "load", address);
  }

  @Override
  void run(HostMachine host, HostProcess p) {
    long pa = host.userTranslate(p, address, write);
    if (pa >= 0) {
      completed();
      if (write) {
        host.memory().writeU8(pa, 0x5a);
      }
    }
  }
}
