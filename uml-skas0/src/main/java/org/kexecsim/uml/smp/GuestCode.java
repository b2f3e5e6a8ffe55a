package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.Code;
import org.kexecsim.uml.host.HostProcess;

/** User code of a guest thread in a hazard: what it does next can be told before it runs. */
interface GuestCode extends Code {
  /** The next user-mode instruction of {@code p}, in words. */
  String next(HostProcess p);

  boolean finished();
}
