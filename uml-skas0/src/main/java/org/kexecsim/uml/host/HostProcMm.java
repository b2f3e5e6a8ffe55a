package org.kexecsim.uml.host;

import org.kexecsim.uml.cost.Cost;

/**
 * /proc/mm of the skas3 host patch: an address space opened as a file and changed by writing
 * struct proc_mm_op records to it. Part of {@link HostMachine}.
 */
final class HostProcMm {
  private final HostMachine host;

  HostProcMm(HostMachine host) {
    this.host = host;
  }

  ProcMm openProcMm(HostProcess caller) {
    host.requirePatch("/proc/mm");
    host.syscallCharge(caller);
    return new ProcMm(host.nextFd++, new HostAddressSpace(host));
  }

  /** write(2) of one struct proc_mm_op; returns 0 or -errno. */
  long writeProcMm(HostProcess caller, ProcMm mm, ProcMm.Op op) {
    host.syscallCharge(caller);
    HostAddressSpace s = mm.space();
    return switch (op) {
      case ProcMm.Op.Mmap m -> {
        host.ledger().charge(Cost.HOST_MM_OP);
        yield s.mmap(m.addr(), m.len(), m.prot(), host.physmem().hostPhysical(m.offset()));
      }
      case ProcMm.Op.Munmap m -> {
        host.ledger().charge(Cost.HOST_MM_OP);
        yield s.munmap(m.addr(), m.len());
      }
      case ProcMm.Op.Mprotect m -> {
        host.ledger().charge(Cost.HOST_MM_OP);
        yield s.mprotect(m.addr(), m.len(), m.prot());
      }
      case ProcMm.Op.CopySegments c -> 0;
    };
  }

  void closeProcMm(HostProcess caller, ProcMm mm) {
    host.syscallCharge(caller);
    mm.space().destroy();
  }
}
