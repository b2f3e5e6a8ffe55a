package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.P;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.KImage;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.IdentityMapWriter;

/**
 * Before May 2006 (2.6.16 arch/i386/kernel/machine_kexec.c identity_map_page(),
 * arch/x86_64/kernel/machine_kexec.c machine_kexec()): the identity mapping of the control page
 * is put into the pgd CR3 points at. i386 pokes one entry, pointing at static tables in the
 * kernel's .bss; x86_64 copies the lower half of its identity table over the live pgd. Either
 * way the crashed kernel's pgd is changed before anyone can dump it.
 */
public final class LegacyDesign implements TransitionDesign {
  static final LegacyDesign INSTANCE = new LegacyDesign();

  /** L0_ATTR..L3_ATTR of the old code: P|RW|A|D; with PAE the top level is L2_ATTR = P. */
  private static final long ATTR = KERNPG_TABLE;

  private LegacyDesign() {}

  @Override
  public String cliName() {
    return "legacy";
  }

  @Override
  public boolean writesLiveTablesAtCrash() {
    return true;
  }

  /** x86_64: the routine loads the identity map the pgd copy came from; i386: it stays on the live pgd. */
  @Override
  public long routineTable(Arch arch, PrepareReport prep) {
    return arch.is64Bit() ? prep.copyRoot().orElseThrow() : prep.switchRoot();
  }

  @Override
  public boolean passesTableOnStack() {
    return false;
  }

  @Override
  public boolean zapsDescriptorTablesInC(Arch arch) {
    return true;
  }

  /** x86_64 KEXEC_CONTROL_CODE_SIZE was 4096 + 4096: the pgd, then the code. */
  @Override
  public int controlCodePages(Arch arch) {
    return arch == Arch.X86_64 ? 2 : 1;
  }

  @Override
  public TransitionTables prepare(TransitionContext context) {
    return switch (context.kernel().arch()) {
      case I386 -> identityMapPage(context, PagingMode.BITS32);
      case PAE -> identityMapPage(context, PagingMode.PAE);
      case X86_64 -> x86_64(context);
    };
  }

  /**
   * identity_map_page(): pgtable_level1[] in .bss maps the control page; without PAE one entry of
   * the live pgd points at it, with PAE pgtable_level2[] (also .bss) sits between and one PDPTE
   * of the live PDPT points at that.
   */
  private TransitionTables identityMapPage(TransitionContext c, PagingMode mode) {
    CrashedKernel k = c.kernel();
    PhysicalMemory m = k.memory();
    long control = c.image().controlCodePage();
    long live = k.currentPgd();
    boolean pae = mode == PagingMode.PAE;
    long level1 = bssPage(k, 1);
    long level2 = pae ? bssPage(k, 2) : -1;
    mode.writeEntry(m, level1 + mode.index(control, 1) * mode.entryBytes(), control | ATTR);
    if (pae) {
      mode.writeEntry(m, level2 + mode.index(control, 2) * mode.entryBytes(), level1 | ATTR);
    }
    long slot = live + mode.index(control, mode.levels()) * mode.entryBytes();
    long old = mode.readEntry(m, slot);
    // L2_ATTR: a PDPTE may carry only P (SDM §4.4.1)
    mode.writeEntry(m, slot, pae ? level2 | P : level1 | ATTR);
    TablePageLedger ledger = new TablePageLedger(c.image());
    if (pae) {
      ledger.record(level2, "pgtable_level2 (static pmd)", PageOrigin.KERNEL_IMAGE, true);
    }
    ledger.record(level1, "pgtable_level1 (static pte table)", PageOrigin.KERNEL_IMAGE, true);
    ledger.record(live, "live " + (pae ? "PDPT" : "pgd") + " of pid " + k.currentPid(), PageOrigin.LIVE_TABLE, true);
    return new TransitionTables(ledger.pages(), live, OptionalLong.empty(),
        List.of(new RequiredMapping("control page at its physical address", live, control, control)),
        List.of(overwrote(live, slot, old, mode.readEntry(m, slot), k)), 0);
  }

  /**
   * x86_64: init_pgtable() builds an identity map of [0, end_pfn) with 2 MiB pages rooted in the
   * first control page; machine_kexec() then copies its lower half over the live pgd
   * ("memcpy(__va(read_cr3()), __va(start_pgtable), PAGE_SIZE/2)") and calls the code at its
   * physical address.
   */
  private TransitionTables x86_64(TransitionContext c) {
    CrashedKernel k = c.kernel();
    KImage image = c.image();
    PhysicalMemory m = k.memory();
    long pgd = image.controlCodePage();
    long code = pgd + PhysicalMemory.PAGE_SIZE;
    m.write(pgd, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
    TablePageLedger ledger = new TablePageLedger(image);
    ledger.record(pgd, "identity pgd (first page of the control block)", PageOrigin.CONTROL_PAGE, true);
    IdentityMapWriter b = new IdentityMapWriter(m, PagingMode.LEVEL4);
    long end = IdentityRanges.ramEnd(m.ramMap()) & -(2L << 20); // init_level2_page maps whole 2 MiB pages
    b.build(ledger.controlFramesAfter(pgd), 0, end, ATTR, KERNPG_TABLE, PageSize.SIZE_2M);
    ledger.recordWriterPages(b, PagingMode.LEVEL4, 1, "identity", PageOrigin.CONTROL_PAGE);

    long live = k.currentPgd();
    List<Conflict> conflicts = new ArrayList<>();
    int changed = 0;
    for (int i = 0; i < 256; i++) {
      long before = m.readU64(live + 8L * i);
      long after = m.readU64(pgd + 8L * i);
      if (before != after) {
        changed++;
      }
      m.writeU64(live + 8L * i, after);
    }
    ledger.record(live, "live pgd of pid " + k.currentPid() + " (lower half overwritten)", PageOrigin.LIVE_TABLE, true);
    conflicts.add(new Conflict(Conflict.Kind.OVERWROTE_LIVE_TABLE, String.format(
        "machine_kexec copied 2048 bytes of the identity pgd over the live pgd 0x%x of pid %d: "
            + "%d of its 256 user-half entries changed", live, k.currentPid(), changed)));
    return new TransitionTables(ledger.pages(), live, OptionalLong.of(pgd),
        List.of(
            new RequiredMapping("code page at its physical address, live pgd", live, code, code),
            new RequiredMapping("code page at its physical address, identity table", pgd, code, code)),
        conflicts, 0);
  }

  /** A page of the kernel image's .bss that holds a static table; it must still be zero. */
  private static long bssPage(CrashedKernel k, int fromEnd) {
    long pa = k.imageRange().end() - (long) fromEnd * PhysicalMemory.PAGE_SIZE;
    if (k.memory().mayBeNonZero(pa)) {
      throw new IllegalStateException(String.format("the .bss page 0x%x for a static table is in use", pa));
    }
    return pa;
  }

  private static Conflict overwrote(long live, long slot, long old, long now, CrashedKernel k) {
    return new Conflict(Conflict.Kind.OVERWROTE_LIVE_TABLE, String.format(
        "identity_map_page wrote entry 0x%x of the live pgd 0x%x (pid %d) at 0x%x: 0x%x became 0x%x",
        (slot - live) / (k.arch() == Arch.I386 ? 4 : 8), live, k.currentPid(), slot, old, now));
  }
}
