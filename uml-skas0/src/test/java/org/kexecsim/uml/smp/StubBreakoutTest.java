package org.kexecsim.uml.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Seed 003: a thread converting a queued register set into execve("/bin/bash") is a breakout. */
class StubBreakoutTest {
  static final Bounds ALL = new Bounds(100, 64, 200_000);

  @Test
  void withTheBatchInTheWritableDataPageSomeScheduleExecsBashOnTheHost() {
    Exploration e = Explorations.someScheduleBreaks(new StubBreakout(), ALL);
    Schedule bad = e.firstBad().orElseThrow();
    assertTrue(bad.steps().stream().anyMatch(s -> s.action().contains("stub pops") && s.action().contains("execve(")),
        bad.print());
  }

  @Test
  void withTheBatchInAReadOnlyPageAndTheFlushSerializedNoScheduleDoes() {
    Explorations.noScheduleBreaks(new StubBreakout(), ALL);
  }

  @Test
  void theForgersStoreIntoTheReadOnlyRecordsFaultsInTheMmu() {
    // not a guard in the model: the host page table has no W bit there, so the MMU refuses
    Schedule forgerFirst = HazardExplorer.replay(new StubBreakout(), true, ALL, java.util.List.of(1, 1));
    String record1Nr = String.format("0x%x", org.kexecsim.uml.host.HostArch.X86_64.stubCode()
        - SmpUml.COMMAND_PAGE_BELOW_STUB + org.kexecsim.uml.mode.StubPages.BATCH_RECORDS + 7 * 8 + 8);
    Step store = forgerFirst.steps().get(1);
    assertTrue(store.action().contains("#PF err=7 at " + record1Nr), forgerFirst.print()); // P|W|U
    assertTrue(forgerFirst.print().contains("force_sig(SIGSEGV)"), forgerFirst.print());
    assertTrue(forgerFirst.verdict() instanceof Verdict.Held, forgerFirst.print());
  }

  @Test
  void everyUnfixedBreakoutHasTheForgerStoreBetweenTheLoadAndTheStubsPopOfTheRecord() {
    Exploration e = HazardExplorer.explore(new StubBreakout(), false, ALL);
    Schedule bad = e.firstBad().orElseThrow();
    int load = indexOf(bad, "fix_range writes");
    int forgeNr = indexOf(bad, "record 1 nr");
    int pop = indexOf(bad, "execve(");
    assertTrue(load < forgeNr && forgeNr < pop, bad.print());
    assertEquals(0, bad.steps().get(load).cpu());
    assertEquals(1, bad.steps().get(forgeNr).cpu());
  }

  private static int indexOf(Schedule s, String text) {
    for (int i = 0; i < s.steps().size(); i++) {
      if (s.steps().get(i).action().contains(text)) {
        return i;
      }
    }
    throw new AssertionError("no step says '" + text + "':\n" + s.print());
  }
}
