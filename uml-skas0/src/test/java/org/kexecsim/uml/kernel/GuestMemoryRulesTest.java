package org.kexecsim.uml.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Prot;
import org.kexecsim.uml.mode.Skas0Options;
import org.kexecsim.uml.mode.UmlMode;

/** Guest-side rules: PTE to host protection, the fix_range flush and its merging. */
class GuestMemoryRulesTest {
  static final long WINDOW = 0x1000_0000L;

  static UmlKernel boot(HostArch arch) {
    return new UmlKernel(new UmlMode.Skas0(Skas0Options.PATCHED).driver(), arch, 1, 8L << 20, 4);
  }

  @Test
  void hostProtectionFollowsYoungAndDirty() {
    // arch/um/kernel/tlb.c fix_range_common: !young -> no access, young && !dirty -> no write
    long base = 0x5000 | GuestPte.P | GuestPte.US | GuestPte.RW;
    assertEquals(Prot.NONE, GuestPte.hostProt(base));
    assertEquals(Prot.READ | Prot.EXEC, GuestPte.hostProt(base | GuestPte.A));
    assertEquals(Prot.RWX, GuestPte.hostProt(base | GuestPte.A | GuestPte.D));
    assertEquals(Prot.READ | Prot.EXEC, GuestPte.hostProt((base & ~GuestPte.RW) | GuestPte.A | GuestPte.D));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void readThenWriteOfAFreshPageIsTwoGuestFaults(HostArch arch) {
    UmlKernel k = boot(arch);
    k.perform(new GuestOperation.Mmap(WINDOW, 4, Prot.RW, false));
    k.perform(new GuestOperation.Touch(WINDOW, false));
    k.perform(new GuestOperation.Touch(WINDOW, true));
    k.perform(new GuestOperation.Touch(WINDOW, true)); // now mapped writable: no fault
    assertEquals(1, k.ledger().operation("touch-read").get(Cost.GUEST_PAGE_FAULT));
    assertEquals(1, k.ledger().operation("touch-write").get(Cost.GUEST_PAGE_FAULT));
    assertEquals(2, k.ledger().operation("touch-write").count());
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void mmapAndMunmapOfUntouchedMemoryCostNoHostAddressSpaceOp(HostArch arch) {
    UmlKernel k = boot(arch);
    k.perform(new GuestOperation.Mmap(WINDOW, 64, Prot.RW, false));
    k.perform(new GuestOperation.Munmap(WINDOW, 64));
    assertEquals(0, k.ledger().operation("mmap").get(Cost.HOST_MM_OP));
    assertEquals(0, k.ledger().operation("munmap").get(Cost.HOST_MM_OP));
    // research notes §5, measured: "mmap+munmap 1 page, untouched: 2 round trips (no stub flush)"
    assertEquals(2, k.ledger().operation("mmap").get(Cost.ROUND_TRIP)
        + k.ledger().operation("munmap").get(Cost.ROUND_TRIP));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void mprotectReadOnlyThenReadWriteThenAWriteIsFourRoundTripsInSkas0(HostArch arch) {
    // research notes §5, measured: "mprotect RO, mprotect RW, write: 4 (1 flush per mprotect)"
    UmlKernel k = boot(arch);
    k.perform(new GuestOperation.Mmap(WINDOW, 1, Prot.RW, true));
    k.perform(new GuestOperation.Mprotect(WINDOW, 1, Prot.READ));
    k.perform(new GuestOperation.Mprotect(WINDOW, 1, Prot.RW));
    k.perform(new GuestOperation.Touch(WINDOW, true));
    assertEquals(4, k.ledger().operation("mprotect").get(Cost.ROUND_TRIP)
        + k.ledger().operation("touch-write").get(Cost.ROUND_TRIP));
    assertEquals(0, k.ledger().operation("touch-write").get(Cost.GUEST_PAGE_FAULT));
  }

  @ParameterizedTest
  @EnumSource(HostArch.class)
  void munmapOfTouchedPagesIsOneMergedHostUnmap(HostArch arch) {
    UmlKernel k = boot(arch);
    k.perform(new GuestOperation.Mmap(WINDOW, 8, Prot.RW, false));
    for (int i = 0; i < 8; i++) {
      k.perform(new GuestOperation.Touch(WINDOW + i * 4096L, true));
    }
    k.perform(new GuestOperation.Munmap(WINDOW, 8));
    assertEquals(1, k.ledger().operation("munmap").get(Cost.HOST_MM_OP));
    // and the host really lost the pages: the guest's next touch faults again
    k.perform(new GuestOperation.Mmap(WINDOW, 8, Prot.RW, false));
    k.perform(new GuestOperation.Touch(WINDOW, false));
    assertEquals(9, k.ledger().totals().get(Cost.GUEST_PAGE_FAULT));
  }

  @Test
  void fixRangeMergesOnlyContiguousAlikeOps() {
    UmlKernel k = boot(HostArch.X86_64);
    GuestMm mm = k.current().mm();
    // three populated pages: frames from a fresh allocator are contiguous, so one mmap
    k.perform(new GuestOperation.Mmap(WINDOW, 3, Prot.RW, true));
    k.perform(new GuestOperation.Mprotect(WINDOW + 4096, 1, Prot.READ));
    mm.protectRange(WINDOW, WINDOW + 3 * 4096L, Prot.READ);
    List<HostOp> ops = FixRange.collect(mm);
    assertEquals(1, ops.size(), ops.toString());
    assertTrue(ops.getFirst() instanceof HostOp.Protect p && p.len() == 3 * 4096L, ops.toString());
    assertTrue(FixRange.collect(mm).isEmpty(), "a flush clears the marks");
  }

  @Test
  void fixRangeDoesNotMergeMapsOfNonContiguousFrames() {
    UmlKernel k = boot(HostArch.X86_64);
    GuestMm mm = k.current().mm();
    mm.addVma(WINDOW, WINDOW + 2 * 4096L, Prot.RW);
    mm.fault(WINDOW + 4096, true, mm.vmaAt(WINDOW)); // second page gets the lower frame
    mm.fault(WINDOW, true, mm.vmaAt(WINDOW));
    List<HostOp> ops = FixRange.collect(mm);
    assertEquals(2, ops.size(), ops.toString());
  }
}
