package org.kexecsim.uml.smp;

import java.util.function.Supplier;

/**
 * A per-process lock one CPU at a time may hold (a spinlock or mutex of the UML kernel). Taking
 * it is a step that can only run while it is free, so a CPU waiting for it is not runnable.
 */
public final class ProcessLock {
  private final String name;
  private int owner = -1;

  public ProcessLock(String name) {
    this.name = name;
  }

  public boolean free() {
    return owner < 0;
  }

  /** The step that takes the lock on {@code cpu}. */
  public VirtualCpu.Action acquire(int cpu, String actor) {
    return new VirtualCpu.Action() {
      @Override
      public boolean ready() {
        return free();
      }

      @Override
      public VirtualCpu.Did run() {
        owner = cpu;
        return new VirtualCpu.Did(actor, "lock " + name, true);
      }
    };
  }

  /** The step that releases it. */
  public Supplier<String> release(int cpu) {
    return () -> {
      if (owner != cpu) {
        throw new IllegalStateException(name + " released by cpu" + cpu + " but held by cpu" + owner);
      }
      owner = -1;
      return "unlock " + name;
    };
  }
}
