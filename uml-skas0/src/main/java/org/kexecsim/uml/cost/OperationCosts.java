package org.kexecsim.uml.cost;

import java.util.EnumMap;
import java.util.Map;

/**
 * What one kind of guest operation cost, summed over its {@code count} executions.
 *
 * @param operation the operation's name ("page-fault", "fork", ...)
 * @param count how many times it ran
 * @param counts every {@link Cost}, including zeros
 */
public record OperationCosts(String operation, long count, Map<Cost, Long> counts) {

  public OperationCosts {
    counts = Map.copyOf(counts);
  }

  static OperationCosts of(String operation, long count, long[] raw) {
    Map<Cost, Long> m = new EnumMap<>(Cost.class);
    for (Cost c : Cost.values()) {
      m.put(c, raw[c.ordinal()]);
    }
    return new OperationCosts(operation, count, m);
  }

  public long get(Cost cost) {
    return counts.get(cost);
  }

  /** The mean per execution; 0 when the operation never ran. */
  public double perOperation(Cost cost) {
    return count == 0 ? 0 : (double) get(cost) / count;
  }
}
