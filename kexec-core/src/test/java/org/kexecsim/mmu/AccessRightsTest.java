package org.kexecsim.mmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kexecsim.mmu.PageFaultErrorCode.ID;
import static org.kexecsim.mmu.PageFaultErrorCode.P;
import static org.kexecsim.mmu.PageFaultErrorCode.US;
import static org.kexecsim.mmu.PageFaultErrorCode.WR;
import static org.kexecsim.mmu.WalkFixture.VA;

import org.junit.jupiter.api.Test;
import org.kexecsim.testing.EachPagingMode;

/** Rights combine over every level (SDM Vol. 3A §4.6); the #PF error code says why (§4.7). */
class AccessRightsTest {

  private static void assertFault(WalkFixture f, int access, int errorCode, FaultCause cause) {
    Translation.Faulted t = f.faulted(VA, access);
    assertEquals(ExceptionVector.PF, t.vector());
    assertEquals(errorCode, t.errorCode(), () -> "error code of " + t.describe());
    assertEquals(cause, t.cause());
  }

  @EachPagingMode
  void userAccessNeedsUsAtEveryLevel(PagingMode mode) {
    WalkFixture f = new WalkFixture(mode);
    f.mapped(VA, Access.USER);
    f.clearBits(2, PageTableEntry.US); // only the PDE says supervisor
    assertFault(f, Access.USER, P | US, FaultCause.USER_ACCESS_TO_SUPERVISOR_PAGE);
    f.mapped(VA, Access.READ); // supervisor reads are always allowed
  }

  @EachPagingMode
  void writesNeedRwAtEveryLevelForUsers(PagingMode mode) {
    WalkFixture f = new WalkFixture(mode);
    f.clearBits(2, PageTableEntry.RW);
    assertFault(f, Access.USER | Access.WRITE, P | WR | US, FaultCause.WRITE_TO_READ_ONLY_PAGE);
  }

  @Test
  void supervisorWritesToReadOnlyPagesFaultOnlyWithWp() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.clearBits(1, PageTableEntry.RW);
    assertFault(f, Access.WRITE, P | WR, FaultCause.WRITE_TO_READ_ONLY_PAGE);
    f.cr0 &= ~Cr0.WP;
    f.mapped(VA, Access.WRITE);
    f.faulted(VA, Access.WRITE | Access.USER); // WP never helps a user write
  }

  @Test
  void xdAtAnyLevelForbidsFetchesButNotReads() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setBits(4, PageTableEntry.XD); // only the PML4E
    assertFault(f, Access.FETCH, P | ID, FaultCause.EXECUTE_DISABLED);
    f.mapped(VA, Access.READ);
    f.mapped(VA, Access.WRITE);
  }

  @Test
  void xdInAPaeLeafForbidsFetches() {
    WalkFixture f = new WalkFixture(PagingMode.PAE);
    f.setBits(1, PageTableEntry.XD);
    assertFault(f, Access.FETCH, P | ID, FaultCause.EXECUTE_DISABLED);
  }

  /** §4.6.2: with SMEP a supervisor fetch from a page that is user at every level faults. */
  @Test
  void smepForbidsSupervisorFetchesFromUserPages() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.mapped(VA, Access.FETCH);
    f.cr4 |= Cr4.SMEP;
    assertFault(f, Access.FETCH, P | ID, FaultCause.SMEP);
    f.mapped(VA, Access.FETCH | Access.USER);
    f.clearBits(3, PageTableEntry.US); // no longer a user page
    f.mapped(VA, Access.FETCH);
  }

  /** §4.7: I/D is reported only if (PAE and NXE) or SMEP; 32-bit paging without SMEP leaves it 0. */
  @Test
  void fetchBitOfTheErrorCodeDependsOnNxeOrSmep() {
    WalkFixture f32 = new WalkFixture(PagingMode.BITS32);
    f32.setEntry(1, 0);
    assertEquals(0, f32.faulted(VA, Access.FETCH).errorCode());
    f32.cr4 |= Cr4.SMEP;
    assertEquals(ID, f32.faulted(VA, Access.FETCH).errorCode());

    WalkFixture pae = new WalkFixture(PagingMode.PAE);
    pae.setEntry(1, 0);
    assertEquals(ID, pae.faulted(VA, Access.FETCH).errorCode());
    pae.efer &= ~Efer.NXE;
    assertEquals(0, pae.faulted(VA, Access.FETCH).errorCode());
  }

  @Test
  void notPresentErrorCodesCarryTheAccessKind() {
    WalkFixture f = new WalkFixture(PagingMode.LEVEL4);
    f.setEntry(1, 0);
    assertEquals(0, f.faulted(VA, Access.READ).errorCode());
    assertEquals(WR, f.faulted(VA, Access.WRITE).errorCode());
    assertEquals(WR | US, f.faulted(VA, Access.WRITE | Access.USER).errorCode());
    assertEquals(US | ID, f.faulted(VA, Access.FETCH | Access.USER).errorCode());
  }
}
