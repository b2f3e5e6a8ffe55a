package org.kexecsim.uml.smp;

/**
 * One step of a schedule: which CPU ran, on behalf of which thread, and what it did.
 *
 * @param index 1-based position in the schedule
 * @param cpu the virtual CPU that ran
 * @param actor who acted on that CPU: the UML kernel or the host process of the guest thread
 * @param action what happened, with the addresses, bytes and values involved
 */
public record Step(int index, int cpu, String actor, String action) {
  @Override
  public String toString() {
    return String.format("%3d  cpu%d  %-22s %s", index, cpu, actor, action);
  }
}
