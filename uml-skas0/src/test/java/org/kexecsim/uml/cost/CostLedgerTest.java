package org.kexecsim.uml.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CostLedgerTest {
  @Test
  void aChargeWithNoOperationOpenIsRefusedNotDropped() {
    CostLedger l = new CostLedger();
    assertThrows(IllegalStateException.class, () -> l.charge(Cost.PTRACE));
  }

  @Test
  void operationsDoNotNest() {
    CostLedger l = new CostLedger();
    l.begin("fork");
    assertThrows(IllegalStateException.class, () -> l.begin("exec"));
  }

  @Test
  void chargesLandInTheOpenOperationAndInTheTotals() {
    CostLedger l = new CostLedger();
    l.begin("a");
    l.charge(Cost.ROUND_TRIP, 3);
    l.end();
    l.begin("b");
    l.charge(Cost.ROUND_TRIP);
    l.end();
    l.begin("a");
    l.charge(Cost.ROUND_TRIP);
    l.end();
    assertEquals(2, l.operation("a").count());
    assertEquals(4, l.operation("a").get(Cost.ROUND_TRIP));
    assertEquals(2.0, l.operation("a").perOperation(Cost.ROUND_TRIP));
    assertEquals(5, l.totals().get(Cost.ROUND_TRIP));
    assertEquals(3, l.totals().count());
  }
}
