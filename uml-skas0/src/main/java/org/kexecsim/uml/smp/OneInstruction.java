package org.kexecsim.uml.smp;

import org.kexecsim.uml.host.HostMachine;
import org.kexecsim.uml.host.HostProcess;

/**
 * Guest code that is a single instruction: each step runs it; one that faults (the host raises
 * the signal) runs again on the next step, and once it has completed the thread has nothing more
 * to do.
 */
abstract class OneInstruction implements GuestCode {
  private boolean done;

  @Override
  public final boolean finished() {
    return done;
  }

  @Override
  public final boolean step(HostMachine host, HostProcess p) {
    if (done) {
      return false;
    }
    run(host, p);
    return true;
  }

  /** Runs the instruction once, calling {@link #completed} at the point it can no longer fault. */
  abstract void run(HostMachine host, HostProcess p);

  final void completed() {
    done = true;
  }
}
