package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.testing.Machines;

/**
 * The read-only walk that records nothing ({@link PageWalker#walk} with no A/D update in 4- and
 * 5-level paging) gives exactly what the recording walk behind {@link PageWalker#translate}
 * gives: the same physical address and page size, or the same fault with the same cause, or
 * the same refusal to read outside RAM. The tables are random: entries present or not, with PS,
 * reserved bits, XD and rights set at random, pointing at table pages of a small pool (so walks
 * share, revisit and loop through tables) or outside RAM.
 */
class FastWalkTest {
  private static final long POOL = 64L << 20; // the table pages: [POOL, POOL + 64 * 4 KiB)
  private static final int PAGES = 64;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void theFastWalkAgreesWithTheRecordingWalk(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int mapped = 0;
    int faults = 0;
    for (PagingMode mode : new PagingMode[] {PagingMode.LEVEL4, PagingMode.LEVEL5}) {
      SparseMemory m = Machines.ram(POOL + PAGES * 4096L);
      for (int page = 0; page < PAGES; page++) {
        for (int i = 0; i < 512; i++) {
          m.writeU64(POOL + page * 4096L + 8L * i, randomEntry(r));
        }
      }
      for (ReservedBitPolicy policy : new ReservedBitPolicy[] {ReservedBitPolicy.FAULT, ReservedBitPolicy.REPORT}) {
        for (boolean nxe : new boolean[] {true, false}) {
          PagingState s = state(m, mode, policy, nxe);
          PageWalker fast = new PageWalker(m);
          PageWalker recording = new PageWalker(m);
          for (int n = 0; n < 4000; n++) {
            long va = r.nextInt(8) == 0 ? r.nextLong() : canonical(r.nextLong(), mode);
            int access = r.nextInt(32) & (Access.WRITE | Access.USER | Access.FETCH);
            String where = String.format("seed %d %s %s nxe=%b va 0x%x %s", seed, mode, policy, nxe, va, Access.describe(access));
            long got;
            try {
              got = fast.walk(s, va, access, false);
            } catch (PhysicalAccessException e) {
              Translation t = recording.translate(s, va, access, false);
              assertTrue(t instanceof Translation.Unreadable u && u.physical() == e.physical(), where + ": " + t);
              continue;
            }
            switch (recording.translate(s, va, access, false)) {
              case Translation.Mapped t -> {
                assertEquals(t.physical(), got, where);
                assertEquals(t.pageSize(), PageSize.ofShift(fast.lastPageShift()), where);
                mapped++;
              }
              case Translation.Faulted t -> {
                assertTrue(PageWalker.isFault(got), where + ": fast walk gave 0x" + Long.toHexString(got));
                assertEquals(t.vector().number(), PageWalker.faultVector(got), where);
                assertEquals(t.errorCode(), PageWalker.faultErrorCode(got), where);
                assertEquals(t.cause(), fast.lastFaultCause(), where);
                faults++;
              }
              case Translation.Unreadable t -> throw new AssertionError(where + ": fast walk read on: " + t);
            }
          }
        }
      }
    }
    assertTrue(mapped > 500 && faults > 500, "both outcomes are exercised: " + mapped + " mapped, " + faults + " faults");
  }

  /** Mostly present links into the pool; sometimes not present, PS, reserved bits or an address outside RAM. */
  private static long randomEntry(SplittableRandom r) {
    long frame = r.nextInt(16) == 0 ? (r.nextLong(1L << 30) & -4096L) : POOL + 4096L * r.nextInt(PAGES);
    long flags = (r.nextInt(8) == 0 ? 0 : PageTableEntry.P)
        | (r.nextInt(4) == 0 ? 0 : PageTableEntry.RW)
        | (r.nextInt(4) == 0 ? 0 : PageTableEntry.US)
        | (r.nextInt(5) == 0 ? PageTableEntry.PS : 0)
        | (r.nextInt(5) == 0 ? PageTableEntry.XD : 0)
        | (r.nextInt(12) == 0 ? 1L << (13 + r.nextInt(50)) : 0); // a reserved bit, at some levels
    return frame | flags;
  }

  private static long canonical(long va, PagingMode mode) {
    int unused = mode == PagingMode.LEVEL5 ? 7 : 16;
    return (va << unused) >> unused;
  }

  private static PagingState state(SparseMemory m, PagingMode mode, ReservedBitPolicy policy, boolean nxe) {
    long[] c = Machines.controlFor(mode);
    long efer = nxe ? c[2] | Efer.NXE : c[2] & ~Efer.NXE;
    ControlWrite w = ControlRegisterRules.establish(c[0], POOL, c[1], efer, m, CpuFeatures.DEFAULT, policy);
    if (w instanceof ControlWrite.Accepted(ControlState cs)) {
      return PagingState.of(cs, CpuFeatures.DEFAULT, policy);
    }
    throw new AssertionError("CR3 load refused: " + w);
  }
}
