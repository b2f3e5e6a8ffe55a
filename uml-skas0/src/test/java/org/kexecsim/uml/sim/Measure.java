package org.kexecsim.uml.sim;

import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.mode.UmlMode;

/**
 * Run by hand: prints the ledger of a run and how long it took.
 * {@code java -cp ... org.kexecsim.uml.sim.Measure skas0 fault-storm 1000000 [x86_64|i386]}
 */
public final class Measure {
  public static void main(String[] args) {
    UmlMode mode = UmlMode.parse(args.length > 0 ? args[0] : "skas0");
    Workload w = Workload.parse(args.length > 1 ? args[1] : "fault-storm");
    long n = args.length > 2 ? Long.parseLong(args[2]) : 1_000_000;
    HostArch arch = args.length > 3 ? HostArch.valueOf(args[3].toUpperCase()) : HostArch.X86_64;
    long t0 = System.nanoTime();
    SimulationResult r = UmlSimulation.run(new UmlSimulation.Settings(mode, w, n, arch, 1));
    long t1 = System.nanoTime();
    for (OperationCosts o : r.operations()) {
      StringBuilder sb = new StringBuilder(String.format("%-14s x%-9d", o.operation(), o.count()));
      for (Cost c : Cost.values()) {
        sb.append(String.format(" %s=%.2f", c.key(), o.perOperation(c)));
      }
      System.out.println(sb);
    }
    System.out.printf("%s %s n=%d: %.2f s, %.2f round trips per fault, log=%s%n",
        r.mode(), r.workload(), n, (t1 - t0) / 1e9, r.roundTripsPerFault(), r.kernelLog());
  }
}
