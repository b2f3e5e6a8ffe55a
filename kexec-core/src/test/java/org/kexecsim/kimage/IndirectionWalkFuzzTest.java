package org.kexecsim.kimage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.HashSet;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.testing.FuzzedMachine;

/**
 * relocate_kernel's list walk over arbitrary memory and head. Rule: it reaches IND_DONE with
 * every page it names inside RAM, or throws {@link CorruptIndirectionListException} saying
 * where; loops are refused, and the walk never reads more than RAM's pages hold.
 */
class IndirectionWalkFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void anyListReachesDoneOrSaysWhereItBreaks(FuzzedDataProvider data) {
    FuzzedMachine machine = FuzzedMachine.from(data);
    int entryBytes = data.consumeBoolean() ? 8 : 4;
    long head = FuzzedMachine.entry(data, machine.pages());
    IndirectionWalk walk;
    try {
      walk = IndirectionWalk.read(machine.memory(), head, entryBytes);
    } catch (CorruptIndirectionListException e) {
      assertTrue(e.getMessage().contains("0x"), () -> "no address in: " + e.getMessage());
      return;
    }
    RamMap ram = machine.memory().ramMap();
    assertEquals(walk.indirectionPages().size(), new HashSet<>(walk.indirectionPages()).size(),
        "an indirection page was read twice: a cycle went unnoticed");
    long slots = (long) machine.pages().size() * (PhysicalMemory.PAGE_SIZE / entryBytes);
    assertTrue(walk.copies().size() <= slots, "more copies than RAM has entry slots");
    for (long page : walk.indirectionPages()) {
      assertTrue(ram.containsRange(page, PhysicalMemory.PAGE_SIZE));
    }
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      assertTrue(ram.containsRange(c.source(), PhysicalMemory.PAGE_SIZE), () -> "source outside RAM: " + c);
      assertTrue(ram.containsRange(c.destination(), PhysicalMemory.PAGE_SIZE), () -> "destination outside RAM: " + c);
    }
  }
}
