package org.kexecsim.uml.host;

/**
 * What runs when a host process executes at some address: one step at a time, so a scheduler
 * can interleave processes step by step.
 */
public interface Code {
  /** Executes one step of {@code p}; returns false when {@code p} has nothing more to do. */
  boolean step(HostMachine host, HostProcess p);
}
