package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.testing.FuzzedMachine;
import org.kexecsim.testing.Machines;

/**
 * The walker over arbitrary tables, CR3 and control registers. Rule: every input yields a
 * Translation, or a refused CR3 load, or a {@link PhysicalAccessException} naming the entry
 * outside RAM; never another Throwable and never a hang (a walk reads at most one entry per
 * level, whatever the tables point at: cycles and self-references included). The batched
 * {@link PageWalker#walkAll} must agree with walk for walk, under either reserved-bit policy; under
 * {@link ReservedBitPolicy#REPORT} no walk faults for a reserved bit.
 */
class PageWalkerFuzzTest {

  private static final PagingMode[] MODES = {
    PagingMode.BITS32, PagingMode.PAE, PagingMode.LEVEL4, PagingMode.LEVEL5
  };

  @FuzzTest(maxDuration = "60s")
  void anyTablesTranslateOrNameTheAddressOutsideRam(FuzzedDataProvider data) {
    FuzzedMachine machine = FuzzedMachine.from(data);
    PhysicalMemory memory = machine.memory();
    PagingMode wanted = data.pickValue(MODES);
    CpuFeatures features = new CpuFeatures(data.consumeInt(32, 52), data.consumeBoolean());
    long[] control = Machines.controlFor(wanted);
    // Mostly a consistent mode; sometimes any bits, which establish() may refuse.
    long cr0 = control[0] ^ (data.consumeBoolean() ? data.consumeLong() : 0);
    long cr4 = control[1] ^ (data.consumeBoolean() ? data.consumeLong() & Cr4.SUPPORTED : 0);
    long efer = control[2] ^ (data.consumeBoolean() ? data.consumeLong() & Efer.SUPPORTED : 0);
    long cr3 = machine.address(data);

    int access = data.consumeInt(0, 31) & (Access.WRITE | Access.USER | Access.FETCH);
    boolean setAd = data.consumeBoolean();
    long[] linear = new long[data.consumeInt(1, 20)];
    for (int i = 0; i < linear.length; i++) {
      linear[i] = data.consumeBoolean() ? data.consumeLong() : data.consumeInt() & 0xFFFF_FFFFL;
    }
    // Consumed last, so the saved corpus keeps its meaning (an exhausted input reads false: FAULT).
    ReservedBitPolicy policy = data.consumeBoolean() ? ReservedBitPolicy.REPORT : ReservedBitPolicy.FAULT;

    ControlWrite load;
    try {
      load = ControlRegisterRules.establish(cr0, cr3, cr4, efer, memory, features, policy);
    } catch (PhysicalAccessException e) {
      return; // the PAE PDPT lies outside RAM
    }
    if (!(load instanceof ControlWrite.Accepted accepted)) {
      return;
    }
    PagingState state = PagingState.of(accepted.state(), features, policy);
    PageWalker walker = new PageWalker(memory);

    long[] oneByOne = new long[linear.length];
    boolean refused = false;
    for (int i = 0; i < linear.length; i++) {
      try {
        Translation t = walker.translate(state, linear[i], access, setAd);
        assertWellFormed(t, state, features);
        oneByOne[i] = walker.walk(state, linear[i], access, false);
      } catch (PhysicalAccessException e) {
        refused = true;
        assertTrue(e.getMessage().contains(String.format("0x%x", e.physical())), e.getMessage());
      }
    }
    if (refused) {
      assertThrows(PhysicalAccessException.class,
          () -> walker.walkAll(state, linear, new long[linear.length], linear.length, access));
    } else {
      long[] batched = new long[linear.length];
      walker.walkAll(state, linear, batched, linear.length, access);
      assertArrayEquals(oneByOne, batched, () -> "walkAll disagrees with walk for " + Arrays.toString(linear));
    }
  }

  private static void assertWellFormed(Translation t, PagingState state, CpuFeatures features) {
    assertTrue(t.steps().size() <= state.mode().levels(), () -> "more entries read than levels: " + t);
    switch (t) {
      case Translation.Mapped m -> {
        int bits = state.mode() == PagingMode.BITS32 ? Math.min(features.maxPhyAddr(), 40) : features.maxPhyAddr();
        assertEquals(0, m.physical() >>> bits, () -> "physical address above MAXPHYADDR: " + m);
      }
      case Translation.Faulted f -> {
        if (!state.reservedBitPolicy().faults()) {
          assertTrue(f.cause() != FaultCause.RESERVED_BIT, () -> "REPORT walks through reserved bits: " + f.describe());
        }
        if (f.writesCr2()) {
          assertEquals(ExceptionVector.PF, f.vector());
        }
        f.describe();
      }
      case Translation.Unreadable u -> // a table outside RAM: the walk's value names where
          assertTrue(u.reason().contains(String.format("0x%x", u.physical())), u.reason());
    }
  }
}
