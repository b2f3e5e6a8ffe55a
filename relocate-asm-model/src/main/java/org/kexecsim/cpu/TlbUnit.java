package org.kexecsim.cpu;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ControlRegister;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.WalkStep;

/**
 * The CPU's use of its {@link Tlb}: hits, fills from the walk just made, the invalidations that
 * control-register writes and INVLPG cause (SDM Vol. 3A §4.10.4.1), and the record of stale
 * translations: hits on an entry made under another root that the tables in force would not give.
 */
final class TlbUnit {
  private static final int MAX_STALE = 64;

  private final Cpu cpu;
  private final Tlb tlb = new Tlb();
  private final List<StaleTranslation> stale = new ArrayList<>();

  TlbUnit(Cpu cpu) {
    this.cpu = cpu;
  }

  /**
   * The physical address a usable entry gives for {@code la}, or -1: no entry, or one whose rights
   * do not allow the access (the CPU then walks, and the walk decides).
   */
  long hit(long la, int access) {
    ControlState c = cpu.control;
    Tlb.Entry e = tlb.lookup(pcid(), la);
    if (e == null || !Tlb.permits(e, access, (c.cr0() & Cr0.WP) != 0, (c.efer() & Efer.NXE) != 0, (c.cr4() & Cr4.SMEP) != 0)) {
      return -1;
    }
    if (e.root() != cpu.paging.rootPhysical()) {
      checkStale(e, la, access);
    }
    return e.frame() | (la & 0xFFF);
  }

  /** After a walk: cache a translation (its steps are still in the walker), or drop the page's entries on a fault. */
  void afterWalk(long la, int access, long result) {
    if (PageWalker.isFault(result)) {
      tlb.invalidatePage(pcid(), la);
      return;
    }
    PagingMode mode = cpu.paging.mode();
    List<WalkStep> steps = cpu.walker.steps(cpu.paging);
    long rights = PageTableEntry.RW | PageTableEntry.US;
    boolean xd = false;
    for (WalkStep s : steps) {
      if (mode == PagingMode.PAE && s.level() == 3) {
        continue; // a PAE PDPTE carries no rights (SDM §4.4.1)
      }
      rights &= s.value();
      xd |= (s.value() & PageTableEntry.XD) != 0 && mode != PagingMode.BITS32;
    }
    long leaf = steps.getLast().value();
    boolean global = (leaf & PageTableEntry.G) != 0 && (cpu.control.cr4() & Cr4.PGE) != 0;
    boolean dirty = (access & Access.WRITE) != 0 || (leaf & PageTableEntry.D) != 0;
    tlb.fill(pcid(), la, new Tlb.Entry(result & ~0xFFFL, rights, xd, global, dirty, cpu.paging.rootPhysical()));
  }

  /**
   * What a control-register write does to the TLB (SDM Vol. 3A §4.10.4.1): MOV to CR3 drops the
   * non-global entries of the PCID it loads, none when PCIDE=1 and bit 63 is set; changing
   * CR4.PGE, clearing CR4.PCIDE, changing CR4.PAE, setting CR4.SMEP or changing CR0.PG drops
   * everything. QEMU flushes everything on any MOV to CR3 (tlb_flush).
   */
  void afterControlWrite(ControlRegister register, long value, ControlState old, ControlState now) {
    switch (register) {
      case CR3 -> {
        if (!cpu.model.keepsGlobalEntriesAcrossCr3()) {
          tlb.flushAll();
        } else if ((now.cr4() & Cr4.PCIDE) == 0 || (value & (1L << 63)) == 0) {
          tlb.flushNonGlobal(pcid());
        }
      }
      case CR4 -> {
        long changed = old.cr4() ^ now.cr4();
        if ((changed & (Cr4.PGE | Cr4.PAE)) != 0 || (changed & old.cr4() & Cr4.PCIDE) != 0
            || (changed & now.cr4() & Cr4.SMEP) != 0) {
          tlb.flushAll();
        }
      }
      case CR0 -> {
        if (((old.cr0() ^ now.cr0()) & Cr0.PG) != 0) {
          tlb.flushAll();
        }
      }
      case EFER -> {}
    }
  }

  /** INVLPG (SDM Vol. 2 INVLPG, §4.10.4.1): the current PCID's entry for the page and a global one. */
  void invalidatePage(long linear) {
    tlb.invalidatePage(pcid(), cpu.longModeActive() ? linear : linear & 0xFFFF_FFFFL);
  }

  void flushAll() {
    tlb.flushAll();
  }

  List<StaleTranslation> stale() {
    return List.copyOf(stale);
  }

  int size() {
    return tlb.size();
  }

  int globalCount() {
    return tlb.globalCount();
  }

  /** The PCID in force: CR3[11:0] with CR4.PCIDE=1, else 0 (SDM §4.10.1). */
  private int pcid() {
    ControlState c = cpu.control;
    return (c.cr4() & Cr4.PCIDE) != 0 ? (int) (c.cr3() & 0xFFF) : 0;
  }

  /** What the tables in force give for a hit made under another root; recorded when not the same frame. */
  private void checkStale(Tlb.Entry e, long la, int access) {
    long root = cpu.paging.rootPhysical();
    if (stale.size() >= MAX_STALE) {
      return;
    }
    for (StaleTranslation t : stale) {
      if (t.linear() >>> 12 == la >>> 12 && t.root() == root) {
        return;
      }
    }
    String fresh;
    try {
      long r = cpu.walker.walk(cpu.paging, la, access, false);
      if (!PageWalker.isFault(r) && (r & ~0xFFFL) == e.frame()) {
        return;
      }
      fresh = PageWalker.isFault(r) ? "would fault (" + cpu.walker.lastFaultCause() + ")" : String.format("would give 0x%x", r & ~0xFFFL);
    } catch (PhysicalAccessException x) {
      fresh = "would read outside RAM";
    }
    stale.add(new StaleTranslation(cpu.steps(), la, Access.describe(access), e.frame(), e.root(), root, fresh));
  }
}
