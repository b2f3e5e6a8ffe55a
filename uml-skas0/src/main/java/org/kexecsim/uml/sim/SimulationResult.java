package org.kexecsim.uml.sim;

import java.util.List;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;

/**
 * What a run cost: the ledger per guest operation (in first-run order, "boot" first) and in
 * total, the kernel's log (BUG lines), the workload's units on average, and how the clock ticked
 * ({@code ticks}: none, measured) with the ticks' share of the totals ({@code tickShare}, counted
 * in the totals too).
 */
public record SimulationResult(
    String mode, String workload, String arch, long n,
    List<OperationCosts> operations, OperationCosts totals, List<String> kernelLog, PerOperation perOperation,
    String ticks, OperationCosts tickShare) {

  public SimulationResult {
    operations = List.copyOf(operations);
    kernelLog = List.copyOf(kernelLog);
  }

  public OperationCosts operation(String name) {
    for (OperationCosts o : operations) {
      if (o.operation().equals(name)) {
        return o;
      }
    }
    throw new IllegalArgumentException("no operation '" + name + "' in this run");
  }

  /** Round trips of the touch operations divided by the guest page faults they caused. */
  public double roundTripsPerFault() {
    long rt = 0;
    long faults = 0;
    for (OperationCosts o : operations) {
      if (o.operation().startsWith("touch-")) {
        rt += o.get(Cost.ROUND_TRIP);
        faults += o.get(Cost.GUEST_PAGE_FAULT);
      }
    }
    return faults == 0 ? 0 : (double) rt / faults;
  }
}
