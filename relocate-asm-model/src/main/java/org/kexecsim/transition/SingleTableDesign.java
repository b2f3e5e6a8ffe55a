package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL_EXEC;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.KImage;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.Translation;
import org.kexecsim.mmu.Access;
import org.kexecsim.pagetable.IdentityMapWriter;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;

/**
 * Vivek Goyal's alternative in the 2006 review: no page_table_a, just page_table_b (an identity
 * map of RAM with large pages) plus one entry mapping the control page at the VA the switching
 * code runs at. Magnus Damm's objection, modelled here: when that VA falls inside the identity
 * range, the large page holding it must be split, so the number of table pages depends on the
 * memory map, and that identity address no longer maps itself.
 */
public final class SingleTableDesign implements TransitionDesign {
  static final SingleTableDesign INSTANCE = new SingleTableDesign();

  private SingleTableDesign() {}

  @Override
  public String cliName() {
    return "single-table";
  }

  /** The page size of the identity part: 2 MiB on x86_64 (init_level2_page), the direct map's on i386. */
  static PageSize identityPage(Arch arch) {
    return arch == Arch.X86_64 ? PageSize.SIZE_2M : arch.largestPage();
  }

  /** Where the identity part ends: RAM's end (below 4 GiB on i386) in whole large pages. */
  static long identityEnd(Arch arch, org.kexecsim.memory.RamMap ram) {
    long end = IdentityRanges.ramEnd(ram);
    if (!arch.is64Bit()) {
      end = Math.min(end, 1L << 32);
    }
    return end & -identityPage(arch).bytes();
  }

  @Override
  public TransitionTables prepare(TransitionContext c) {
    KImage image = c.image();
    Arch arch = image.arch();
    PhysicalMemory m = image.host().memory();
    PagingMode mode = arch.pagingMode();
    long control = image.controlCodePage();
    long va = c.kernelTextSwitchVirtual();

    TablePageLedger ledger = new TablePageLedger(image);
    IdentityMapWriter identity = new IdentityMapWriter(m, mode);
    // page_table_b: all RAM with 2 MiB pages on x86_64 (init_level4_page); on i386 the RAM the
    // 32-bit linear space can identity-map, with the direct map's page size.
    PageSize large = identityPage(arch);
    long end = identityEnd(arch, m.ramMap());
    long root = identity.build(ledger.controlFrames(), 0, end, KERNPG_TABLE, KERNPG_TABLE, large);
    ledger.recordWriterPages(identity, mode, 0, "page_table_b", PageOrigin.CONTROL_PAGE);
    PageTableBuilder b = PageTableBuilder.onExisting(m, mode, root, ledger.controlFrames());
    int identityPages = 0;

    List<Conflict> conflicts = new ArrayList<>(SwitchConflicts.switchVaIsControlPa(arch, va, control));
    Translation before = PageWalker.translate(m, Paging.supervisor(m, arch, c.kernel().cpu(), b.root()), va, Access.READ);
    int splitsBefore = b.splits();
    b.map(va, control, 4096, PAGE_KERNEL_EXEC, KERNPG_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
    int extraPages = b.tablePages().size() - identityPages;
    for (int i = identityPages; i < b.tablePages().size(); i++) {
      var tp = b.tablePages().get(i);
      ledger.record(tp.physical(), "extra " + TablePageLedger.tableName(mode, tp.level()) + " for the control page's VA",
          PageOrigin.CONTROL_PAGE, true);
    }
    if (before instanceof Translation.Mapped hit) {
      conflicts.add(new Conflict(Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE, String.format(
          "the control page's VA 0x%x lies inside the identity range [0, 0x%x): %d %s page(s) split, "
              + "%d extra table page(s); identity address 0x%x now maps the control page 0x%x instead of itself",
          va, end, b.splits() - splitsBefore, hit.pageSize().label(), extraPages, va & ~0xFFFL, control)));
    }
    List<RequiredMapping> required = List.of(
        new RequiredMapping("control page at the VA of the switching code", b.root(), va, control),
        new RequiredMapping("control page at its physical address", b.root(), control, control));
    // i386 turns paging off after the switch, so only x86_64 copies under this table.
    OptionalLong copyRoot = arch == Arch.X86_64 ? OptionalLong.of(b.root()) : OptionalLong.empty();
    return new TransitionTables(ledger.pages(), b.root(), copyRoot, required, conflicts, b.splits());
  }
}
