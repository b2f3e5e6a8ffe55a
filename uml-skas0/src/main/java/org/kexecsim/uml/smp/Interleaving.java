package org.kexecsim.uml.smp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The machine one schedule runs on: its CPUs and the first broken invariant any step observed.
 * A hazard builds a fresh one for every schedule, so schedules never share state.
 */
public final class Interleaving {
  private final List<VirtualCpu> cpus = new ArrayList<>();
  private String broke;
  private final List<Runnable> endChecks = new ArrayList<>();

  /** A new CPU, numbered in order. */
  public VirtualCpu addCpu() {
    VirtualCpu c = new VirtualCpu(cpus.size());
    cpus.add(c);
    return c;
  }

  public List<VirtualCpu> cpus() {
    return List.copyOf(cpus);
  }

  public VirtualCpu cpu(int i) {
    return cpus.get(i);
  }

  /** A check of the final state, run once every CPU has finished. */
  public void atEnd(Runnable check) {
    endChecks.add(check);
  }

  void finish() {
    endChecks.forEach(Runnable::run);
  }

  /** Records that the hazard happened; the first report is the one kept. */
  public void broke(String why) {
    if (broke == null) {
      broke = why;
    }
  }

  public Optional<String> breakage() {
    return Optional.ofNullable(broke);
  }
}
