package org.kexecsim.uml.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Physmem;
import org.kexecsim.uml.host.ProcMm;
import org.kexecsim.uml.host.Prot;

/**
 * A guest mm_struct: VMAs, page tables, mm->nr_ptes, the range whose PTEs changed since the host
 * last caught up, and the handle of its host address space (a host pid or a /proc/mm fd).
 */
public final class GuestMm {
  private final int id;
  private final HostArch arch;
  private final Physmem physmem;
  private final GuestFrames frames;
  private final GuestPageTable tables;
  private final TreeMap<Long, GuestVma> vmas = new TreeMap<>();
  private final long taskSize;
  private long nrPtes;
  private long syncFrom = Long.MAX_VALUE;
  private long syncTo = Long.MIN_VALUE;
  private long stackTop;
  /** 6.1 only: PTE-page spans the guest has populated since their page table was last freed. */
  private final java.util.TreeSet<Long> liveSpans = new java.util.TreeSet<>();
  /** Host unmaps of whole spans whose page table free_pgtables dropped (6.1), for the next flush. */
  private final List<HostOp> spanUnmaps = new ArrayList<>();

  // the host side, set by the mode
  private int hostPid = -1;
  private ProcMm procMm;
  private long stubDataFrame = -1;

  GuestMm(int id, HostArch arch, Physmem physmem, GuestFrames frames, long taskSize) {
    this.id = id;
    this.arch = arch;
    this.physmem = physmem;
    this.frames = frames;
    this.tables = new GuestPageTable(physmem, arch, frames);
    this.taskSize = taskSize;
  }

  public int id() {
    return id;
  }

  public GuestPageTable tables() {
    return tables;
  }

  /** TASK_SIZE: the end of what guest processes may map. */
  public long taskSize() {
    return taskSize;
  }

  /** mm->nr_ptes: PTE pages allocated minus freed (mm/memory.c __pte_alloc, free_pte_range). */
  public long nrPtes() {
    return nrPtes;
  }

  /** The "mm->nr_ptes--" of the skas0 patch. */
  public void decrementNrPtes() {
    nrPtes--;
  }

  public List<GuestVma> vmas() {
    return List.copyOf(vmas.values());
  }

  public long stackTop() {
    return stackTop;
  }

  void setStackTop(long top) {
    stackTop = top;
  }

  public int hostPid() {
    return hostPid;
  }

  public void setHostPid(int pid) {
    hostPid = pid;
  }

  public ProcMm procMm() {
    return procMm;
  }

  public void setProcMm(ProcMm handle) {
    procMm = handle;
  }

  /** The guest-physical frame of this mm's stub data page (skas0), or -1. */
  public long stubDataFrame() {
    return stubDataFrame;
  }

  /**
   * init_stub_pte (arch/um/kernel/skas/mmu.c): the stub pages get PTEs in the guest tables like
   * any page, which allocates a PTE page and counts it in nr_ptes, though no VMA covers it.
   */
  public void initStubPtes(long stubCodeFrame) {
    stubDataFrame = frames.allocateZeroed();
    setPte(arch.stubCode(), stubCodeFrame | GuestPte.P | GuestPte.US | GuestPte.A);
    setPte(arch.stubData(), stubDataFrame | GuestPte.P | GuestPte.US | GuestPte.RW | GuestPte.A | GuestPte.D);
  }

  /** The PTE slot of {@code va}, its PTE page allocated on demand and counted in nr_ptes (__pte_alloc). */
  private long pteSlot(long va) {
    long slot = tables.ensurePte(va);
    if (tables.lastAllocatedPtePage()) {
      nrPtes++;
    }
    return slot;
  }

  private void setPte(long va, long value) {
    long slot = pteSlot(va);
    tables.write(slot, value);
  }

  public GuestVma vmaAt(long va) {
    Map.Entry<Long, GuestVma> e = vmas.floorEntry(va);
    return e != null && va < e.getValue().end() ? e.getValue() : null;
  }

  /** Widens the range flush must look at (the 6.13 "sync hull", one per mm). */
  void markSync(long from, long to) {
    syncFrom = Math.min(syncFrom, from);
    syncTo = Math.max(syncTo, to);
  }

  boolean needsSync() {
    return syncFrom < syncTo;
  }

  long syncFrom() {
    return syncFrom;
  }

  long syncTo() {
    return syncTo;
  }

  void clearSync() {
    syncFrom = Long.MAX_VALUE;
    syncTo = Long.MIN_VALUE;
  }

  // ---- VMAs ----------------------------------------------------------------------------------

  void addVma(long start, long end, int prot) {
    removeRange(start, end);
    vmas.put(start, new GuestVma(start, end, prot));
  }

  /** Cuts {@code [from, to)} out of the VMAs, freeing the pages there (zap_page_range). */
  void removeRange(long from, long to) {
    for (GuestVma v : new ArrayList<>(vmas.values())) {
      if (!v.overlaps(from, to)) {
        continue;
      }
      vmas.remove(v.start());
      if (v.start() < from) {
        vmas.put(v.start(), new GuestVma(v.start(), from, v.prot()));
      }
      if (to < v.end()) {
        vmas.put(to, new GuestVma(to, v.end(), v.prot()));
      }
    }
    zap(from, to);
  }

  void protectRange(long from, long to, int prot) {
    for (GuestVma v : new ArrayList<>(vmas.values())) {
      if (!v.overlaps(from, to)) {
        continue;
      }
      vmas.remove(v.start());
      long a = Math.max(v.start(), from);
      long b = Math.min(v.end(), to);
      if (v.start() < a) {
        vmas.put(v.start(), new GuestVma(v.start(), a, v.prot()));
      }
      vmas.put(a, new GuestVma(a, b, prot));
      if (b < v.end()) {
        vmas.put(b, new GuestVma(b, v.end(), v.prot()));
      }
    }
    // change_protection: present PTEs get the new rights and NEWPROT
    eachPresentPte(from, to, (va, slot, e) -> {
      long changed = (prot & Prot.WRITE) != 0 ? e | GuestPte.RW : e & ~GuestPte.RW;
      tables.write(slot, changed | GuestPte.NEWPROT);
      markSync(va, va + 4096);
    });
  }

  /** What {@link #eachPresentPte} hands over: the page's VA, its PTE's address and value. */
  @FunctionalInterface
  private interface PresentPte {
    void at(long va, long slot, long pte);
  }

  /** Visits the present PTEs of {@code [from, to)}, skipping spans that have no page table. */
  private void eachPresentPte(long from, long to, PresentPte visit) {
    for (long va = from; va < to; ) {
      long slot = tables.pteAddress(va);
      if (slot < 0) {
        va = Math.min(to, tables.nextSpan(va));
        continue;
      }
      long e = tables.read(slot);
      if ((e & GuestPte.P) != 0) {
        visit.at(va, slot, e);
      }
      va += 4096;
    }
  }

  /** Clears present PTEs in {@code [from, to)}: pte_clear leaves NEWPAGE so the host unmaps. */
  private void zap(long from, long to) {
    eachPresentPte(from, to, (va, slot, e) -> {
      frames.release(e & GuestPte.FRAME);
      tables.write(slot, GuestPte.NEWPAGE);
      markSync(va, va + 4096);
    });
  }

  // ---- pages ---------------------------------------------------------------------------------

  /**
   * Makes {@code va} present as handle_mm_fault would for an access of that kind: a fresh zeroed
   * page on first touch (do_anonymous_page), then young, and dirty on a write (handle_pte_fault).
   */
  void fault(long va, boolean write, GuestVma vma) {
    long page = va & ~0xFFFL;
    long slot = pteSlot(page);
    long e = tables.read(slot);
    if ((e & GuestPte.P) == 0) {
      long frame = frames.allocateZeroed();
      e = frame | GuestPte.P | GuestPte.US | GuestPte.A | GuestPte.NEWPAGE
          | ((vma.prot() & Prot.WRITE) != 0 ? GuestPte.RW : 0) | (write ? GuestPte.D : 0);
    } else {
      e |= GuestPte.A | (write ? GuestPte.D : 0) | GuestPte.NEWPROT;
    }
    tables.write(slot, e);
    markSync(page, page + 4096);
  }

  // ---- the 6.1 kernel: zero page, copy-on-write, page tables freed on munmap ------------------

  /**
   * handle_mm_fault of Linux 6.1 (mm/memory.c): a read of untouched anonymous memory maps the
   * shared zero page read-only (do_anonymous_page); a read of a read-only VMA maps a page of the
   * file (a fresh frame stands in for the page cache); a write to an absent page gets a fresh
   * dirty page. Returns false when the fault is a write to a present page that is not writable
   * in the PTE but is in the VMA: do_wp_page's copy-on-write, see {@link #breakCow}.
   */
  boolean faultModern(long va, boolean write, GuestVma vma) {
    long page = va & ~0xFFFL;
    long slot = pteSlot(page);
    liveSpans.add(page & -arch.pteSpan());
    long e = tables.read(slot);
    boolean vmaWritable = (vma.prot() & Prot.WRITE) != 0;
    if ((e & GuestPte.P) == 0) {
      long frame;
      long rw = 0;
      if (write) {
        frame = frames.allocateZeroed();
        rw = GuestPte.RW | GuestPte.D;
      } else if (vmaWritable) {
        frame = frames.zeroPage();
      } else {
        frame = frames.allocateZeroed();
      }
      e = frame | GuestPte.P | GuestPte.US | GuestPte.A | GuestPte.NEWPAGE | rw;
    } else if (write && (e & GuestPte.RW) == 0 && vmaWritable) {
      if (frames.shared(e & GuestPte.FRAME)) {
        return false;
      }
      e |= GuestPte.RW | GuestPte.A | GuestPte.D | GuestPte.NEWPROT; // wp_page_reuse: last user
    } else {
      e |= GuestPte.A | (write ? GuestPte.D : 0) | GuestPte.NEWPROT;
    }
    tables.write(slot, e);
    markSync(page, page + 4096);
    return true;
  }

  /**
   * do_wp_page's copy, first half: ptep_clear_flush takes the shared page away and flushes
   * it from the TLB, which on UML is a host unmap run now. Returns the old frame.
   */
  long clearForCow(long va) {
    long page = va & ~0xFFFL;
    long slot = tables.pteAddress(page);
    long e = tables.read(slot);
    tables.write(slot, GuestPte.NEWPAGE);
    markSync(page, page + 4096);
    return e & GuestPte.FRAME;
  }

  /** do_wp_page's copy, second half: a private copy of {@code old}, writable and dirty. */
  void breakCow(long va, long old) {
    long page = va & ~0xFFFL;
    long frame = frames.allocateFrame();
    physmem.copyPage(old, frame);
    frames.release(old);
    tables.write(tables.pteAddress(page),
        frame | GuestPte.P | GuestPte.US | GuestPte.RW | GuestPte.A | GuestPte.D | GuestPte.NEWPAGE);
    markSync(page, page + 4096);
  }

  /**
   * fork of Linux 6.1 (copy_page_range, copy_present_pte): the child maps the parent's pages;
   * in writable private VMAs both lose write access (the parent's PTEs change, so its host
   * mapping is re-protected at its next flush).
   */
  void copyOnWriteInto(GuestMm child) {
    for (GuestVma v : vmas.values()) {
      child.vmas.put(v.start(), v);
      boolean cow = (v.prot() & Prot.WRITE) != 0;
      eachPresentPte(v.start(), v.end(), (va, slot, e) -> {
        frames.share(e & GuestPte.FRAME);
        long shared = e;
        if (cow && (e & GuestPte.RW) != 0) {
          shared = e & ~GuestPte.RW;
          tables.write(slot, shared | GuestPte.NEWPROT);
          markSync(va, va + 4096);
        }
        child.setPte(va, (shared & (GuestPte.FRAME | GuestPte.P | GuestPte.US | GuestPte.A | GuestPte.D)) | GuestPte.NEWPAGE);
        child.markSync(va, va + 4096);
        child.liveSpans.add(va & -arch.pteSpan());
      });
    }
    child.stackTop = stackTop;
  }

  /** Maps a page as exec does for the argument pages of the new stack (6.1, demand-paged exec). */
  void populateModern(long va) {
    faultModern(va, true, vmaAt(va));
  }

  /**
   * free_pgtables after an unmap (mm/memory.c): a PTE page whose span no VMA overlaps any more is
   * freed, and UML's fix_range then unmaps the whole span on the host (6.1 arch/um/kernel/tlb.c:
   * a cleared pmd with _PAGE_NEWPAGE). The model keeps the table page; it queues the host unmap
   * and forgets the span until the guest populates it again. Returns whether one was queued.
   */
  boolean freeEmptyPageTables(long from, long to) {
    boolean any = false;
    long span = arch.pteSpan();
    for (Long s = liveSpans.ceiling(from & -span); s != null && s < to; s = liveSpans.higher(s)) {
      long start = s;
      if (vmas.values().stream().noneMatch(v -> v.overlaps(start, start + span))) {
        spanUnmaps.add(new HostOp.Unmap(start, span));
        any = true;
      }
    }
    for (HostOp u : spanUnmaps) {
      liveSpans.remove(u.va());
    }
    return any;
  }

  /** The span unmaps {@link #freeEmptyPageTables} queued, handed over once (FixRange). */
  List<HostOp> takeSpanUnmaps() {
    List<HostOp> out = List.copyOf(spanUnmaps);
    spanUnmaps.clear();
    return out;
  }

  /** The PTE of {@code va}, or 0. */
  public long pte(long va) {
    long slot = tables.pteAddress(va);
    return slot < 0 ? 0 : tables.read(slot);
  }

  /** A copy of this mm for fork: same VMAs, each present page copied (the model does not COW). */
  void copyInto(GuestMm child) {
    for (GuestVma v : vmas.values()) {
      child.vmas.put(v.start(), v);
      eachPresentPte(v.start(), v.end(), (va, slot, e) -> {
        long frame = frames.allocateFrame();
        physmem.copyPage(e & GuestPte.FRAME, frame);
        child.setPte(va, frame | (e & (GuestPte.P | GuestPte.RW | GuestPte.US | GuestPte.A | GuestPte.D)) | GuestPte.NEWPAGE);
        child.markSync(va, va + 4096);
      });
    }
    child.stackTop = stackTop;
  }

  /** Maps a fresh page at {@code va} as the kernel populates it (exec, MAP_POPULATE). */
  void populate(long va, boolean dirty) {
    GuestVma v = vmaAt(va);
    fault(va, dirty && (v.prot() & Prot.WRITE) != 0, v);
  }

  /**
   * exit_mmap (mm/mmap.c, 2.6.13): unmaps every VMA, then free_pgtables frees the PTE pages under
   * the VMAs and counts each out of nr_ptes. A PTE page no VMA touches (the stub's) is not freed
   * there. What is left in nr_ptes is returned: the kernel BUGs on non-zero.
   */
  ExitMmap exitMmap() {
    List<GuestVma> all = new ArrayList<>(vmas.values());
    for (GuestVma v : all) {
      zap(v.start(), v.end());
    }
    vmas.clear();
    for (Map.Entry<Long, Long> e : tables.ptePages().entrySet()) {
      long spanStart = e.getKey();
      long spanEnd = spanStart + arch.pteSpan();
      boolean underVma = all.stream().anyMatch(v -> v.overlaps(spanStart, spanEnd));
      if (underVma) {
        nrPtes--;
      }
    }
    long left = nrPtes;
    if (stubDataFrame >= 0) {
      frames.free(stubDataFrame);
    }
    // pgd_free and the rest: every table page goes back, counted or not
    for (long page : tables.allTablePages()) {
      frames.free(page);
    }
    clearSync();
    return new ExitMmap(id, left);
  }

  /** What exit_mmap found: {@code nrPtesLeft} != 0 is the BUG_ON(mm->nr_ptes). */
  public record ExitMmap(int mm, long nrPtesLeft) {
    public boolean bug() {
      return nrPtesLeft != 0;
    }
  }
}
