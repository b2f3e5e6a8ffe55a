package org.kexecsim.uml.smp;

import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * One UML processor: the kernel thread that runs userspace() for it, with the host process of the
 * guest thread currently on it (userspace_pid[cpu], seed 003). What it will do is a script of
 * actions; the explorer decides when it takes its next step.
 */
public final class VirtualCpu {
  /** What one step did; an action that is not {@code done} stays at the head of the script. */
  public record Did(String actor, String action, boolean done) {}

  /** One thing the CPU does, possibly over several steps (a wait4 that runs the child). */
  public interface Action {
    /** False while the action would block, e.g. on a lock another CPU holds. */
    default boolean ready() {
      return true;
    }

    Did run();
  }

  private final int index;
  private final ArrayDeque<Action> script = new ArrayDeque<>();

  VirtualCpu(int index) {
    this.index = index;
  }

  public int index() {
    return index;
  }

  /** Appends a one-step action of {@code actor}; {@code run} returns what it did. */
  public VirtualCpu then(String actor, Supplier<String> run) {
    return then(new Action() {
      @Override
      public Did run() {
        return new Did(actor, run.get(), true);
      }
    });
  }

  public VirtualCpu then(Action a) {
    script.add(a);
    return this;
  }

  /** Puts {@code a} before everything still to do: a step deciding what comes next. */
  public void next(Action a) {
    script.addFirst(a);
  }

  public boolean finished() {
    return script.isEmpty();
  }

  public boolean ready() {
    return !script.isEmpty() && script.peek().ready();
  }

  Did step() {
    Action a = script.peek();
    if (a == null || !a.ready()) {
      throw new IllegalStateException("cpu" + index + " has nothing it can do");
    }
    Did d = a.run();
    if (d.done() && script.peek() == a) {
      script.poll();
    } else if (d.done()) {
      script.remove(a); // the action queued a follow-up in front of itself
    }
    return d;
  }
}
