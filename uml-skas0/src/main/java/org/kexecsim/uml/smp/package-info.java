/**
 * SMP skas hazards (seed 003, "SMP skas requirements") run as explored schedules.
 *
 * <p>Each {@link org.kexecsim.uml.smp.Hazard} builds a fresh model machine per schedule: two or
 * more {@link org.kexecsim.uml.smp.VirtualCpu}s, each a UML kernel thread with the host process of
 * the guest thread it runs (one host process per UML thread, CLONE_VM, pids indexed by CPU).
 * {@link org.kexecsim.uml.smp.HazardExplorer} chooses which CPU takes the next step, exhaustively
 * within {@link org.kexecsim.uml.smp.Bounds} or sampled from a seed, and records every
 * {@link org.kexecsim.uml.smp.Schedule} step by step with the bytes and values involved.
 */
package org.kexecsim.uml.smp;
