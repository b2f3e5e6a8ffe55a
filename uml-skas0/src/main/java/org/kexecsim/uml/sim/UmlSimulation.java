package org.kexecsim.uml.sim;

import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Ticks;
import org.kexecsim.uml.kernel.UmlKernel;
import org.kexecsim.uml.mode.UmlMode;

/** Runs a workload on a freshly booted UML in a given mode and returns its cost ledger. */
public final class UmlSimulation {
  /** UML's physmem (mem=): enough for every workload's working set. */
  public static final long PHYSMEM_BYTES = 32L << 20;
  public static final int INIT_IMAGE_PAGES = 16;

  private UmlSimulation() {}

  /** The settings of one run; {@code ticks}: whether the host clock ticks (default: no). */
  public record Settings(UmlMode mode, Workload workload, long n, HostArch arch, long seed, Ticks ticks) {
    public Settings(UmlMode mode, Workload workload, long n, HostArch arch, long seed) {
      this(mode, workload, n, arch, seed, Ticks.NONE);
    }

    public Settings(UmlMode mode, Workload workload, long n) {
      this(mode, workload, n, HostArch.X86_64, 1);
    }
  }

  public static SimulationResult run(UmlMode mode, Workload workload, long n) {
    return run(new Settings(mode, workload, n));
  }

  public static SimulationResult run(Settings s) {
    s.workload().checkN(s.n());
    UmlKernel k = boot(s);
    PerOperation per = s.workload().measure(k, s.n());
    return new SimulationResult(s.mode().cliName(), s.workload().cliName(),
        s.arch().name().toLowerCase(java.util.Locale.ROOT), s.n(),
        k.ledger().operations(), k.ledger().totals(), k.log(), per, s.ticks().cliName(), k.ledger().tickShare());
  }

  /** A booted kernel for {@code s}, for callers that drive operations themselves. */
  public static UmlKernel boot(Settings s) {
    return new UmlKernel(s.mode().driver(), s.arch(), s.seed(), PHYSMEM_BYTES, INIT_IMAGE_PAGES, s.ticks());
  }
}
