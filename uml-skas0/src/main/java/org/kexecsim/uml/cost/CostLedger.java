package org.kexecsim.uml.cost;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts host costs per guest operation and in total. Every charge lands in the operation that
 * is open; a charge with none open is a bug in the model and throws, so nothing is dropped
 * silently (the totals are always the sum of the operations). Charges made between
 * {@link #beginTick} and {@link #endTick} are the clock tick's: they count in the operation and
 * the totals as any other (strace sees them) and also in the tick share, so a report can give
 * the mechanism's cost and the tick's apart.
 */
public final class CostLedger {
  private static final int KINDS = Cost.values().length;

  private final Map<String, long[]> byOperation = new LinkedHashMap<>();
  private final Map<String, long[]> executions = new LinkedHashMap<>();
  private final long[] totals = new long[KINDS];
  private final long[] tickTotals = new long[KINDS];
  private long ticks;
  private int tickDepth;
  private long[] open;
  private String openName;

  /** Opens an execution of {@code operation}; every charge until {@link #end} belongs to it. */
  public void begin(String operation) {
    if (open != null) {
      throw new IllegalStateException(
          "operation '" + operation + "' begun while '" + openName + "' is still open");
    }
    open = byOperation.computeIfAbsent(operation, k -> new long[KINDS]);
    executions.computeIfAbsent(operation, k -> new long[1])[0]++;
    openName = operation;
  }

  public void end() {
    if (open == null) {
      throw new IllegalStateException("no operation is open");
    }
    open = null;
    openName = null;
  }

  /** The open operation's name, or null. */
  public String openOperation() {
    return openName;
  }

  public void charge(Cost cost) {
    charge(cost, 1);
  }

  public void charge(Cost cost, long n) {
    if (open == null) {
      throw new IllegalStateException("cost " + cost + " charged with no guest operation open");
    }
    open[cost.ordinal()] += n;
    totals[cost.ordinal()] += n;
    if (tickDepth > 0) {
      tickTotals[cost.ordinal()] += n;
    }
  }

  /** A clock tick was taken; what it causes until {@link #endTick} is its share. */
  public void beginTick() {
    tickDepth++;
  }

  public void endTick() {
    if (tickDepth == 0) {
      throw new IllegalStateException("no tick is open");
    }
    tickDepth--;
  }

  /** Counts one tick of the host clock that reached the UML kernel. */
  public void countTick() {
    ticks++;
  }

  /** Ticks counted so far. */
  public long ticks() {
    return ticks;
  }

  /** The part of {@link #total} that clock ticks caused. */
  public long tickTotal(Cost cost) {
    return tickTotals[cost.ordinal()];
  }

  /** The clock ticks' share of the totals, as an operation "clock-ticks" run {@link #ticks} times. */
  public OperationCosts tickShare() {
    return OperationCosts.of("clock-ticks", ticks, tickTotals);
  }

  public long total(Cost cost) {
    return totals[cost.ordinal()];
  }

  /** Costs of every operation that ran, in first-run order. */
  public List<OperationCosts> operations() {
    List<OperationCosts> out = new ArrayList<>();
    for (var e : byOperation.entrySet()) {
      out.add(OperationCosts.of(e.getKey(), executions.get(e.getKey())[0], e.getValue()));
    }
    return out;
  }

  public OperationCosts operation(String name) {
    long[] raw = byOperation.get(name);
    if (raw == null) {
      return OperationCosts.of(name, 0, new long[KINDS]);
    }
    return OperationCosts.of(name, executions.get(name)[0], raw);
  }

  public OperationCosts totals() {
    long n = 0;
    for (long[] c : executions.values()) {
      n += c[0];
    }
    return OperationCosts.of("total", n, totals);
  }
}
