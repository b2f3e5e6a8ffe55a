package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL_EXEC;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.KImage;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.IdentityMapWriter;

/**
 * Magnus Damm's "kexec: Avoid overwriting the current pgd (V2)", May 2006: page_table_a, a
 * fresh table of control pages that maps the control page twice, at the VA of
 * relocate_new_kernel and at its PA (allocate_page_table_a(), create_mapping()). i386: pgd + 2
 * pte = 3 pages; PAE: + 2 pmd = 5, the PDPTE carrying only P (the V2 fix); x86_64: pgd + 2 ×
 * (pud, pmd, pte) = 7, and page_table_b, an identity map of all RAM with 2 MiB pages, for the
 * copy.
 */
public final class PageTableADesign implements TransitionDesign {
  static final PageTableADesign INSTANCE = new PageTableADesign();

  private PageTableADesign() {}

  /** How every page of page_table_a's role begins in the ledger: what a hypervisor is handed. */
  static final String ROLE = "page_table_a";

  @Override
  public String cliName() {
    return "page-table-a";
  }

  /** sizeof(page_table_a) / sizeof(page_table_a[0]) in the patch's asm/kexec.h. */
  static int pageTableAPages(Arch arch) {
    return switch (arch) {
      case I386 -> 3;
      case PAE -> 5;
      case X86_64 -> 7;
    };
  }

  /**
   * create_mapping() twice into {@code pages} (pgd first, then tables as needed): the control
   * page at {@code va} and at its own address. Also what a hypervisor does when it overwrites
   * the pages dom0 handed it (the seed's Xen port). Returns each page's role, null for spares.
   */
  static String[] fill(PhysicalMemory m, PagingMode mode, long[] pages, long va, long control) {
    int n = pages.length;
    int[] next = {1};
    String[] roles = new String[n];
    roles[0] = ROLE + " " + TablePageLedger.tableName(mode, mode.levels());
    MappingWriter.TablePages sequential = level -> {
      if (next[0] >= n) {
        throw new IllegalStateException("page_table_a ran out of pages");
      }
      roles[next[0]] = ROLE + " " + TablePageLedger.tableName(mode, level);
      return pages[next[0]++];
    };
    // _PGD_ATTR: _PAGE_PRESENT with PAE (a PDPTE may carry nothing else, SDM §4.4.1), else _KERNPG_TABLE
    long top = mode == PagingMode.PAE ? P : KERNPG_TABLE;
    MappingWriter.map(m, mode, pages[0], va, control, PAGE_KERNEL_EXEC, KERNPG_TABLE, top, sequential);
    MappingWriter.map(m, mode, pages[0], control, control, PAGE_KERNEL_EXEC, KERNPG_TABLE, top, sequential);
    return roles;
  }

  @Override
  public TransitionTables prepare(TransitionContext c) {
    KImage image = c.image();
    Arch arch = image.arch();
    PhysicalMemory m = image.host().memory();
    PagingMode mode = arch.pagingMode();
    long control = image.controlCodePage();
    long va = c.kernelTextSwitchVirtual();

    // allocate_page_table_a(): for (k = n; k > 0; k--) page_table_a[k - 1] = a cleared control page
    int n = pageTableAPages(arch);
    long[] pages = new long[n];
    for (int k = n; k > 0; k--) {
      pages[k - 1] = new TablePageLedger(image).controlPage();
    }
    String[] roles = fill(m, mode, pages, va, control);

    TablePageLedger ledger = new TablePageLedger(image);
    for (int i = 0; i < n; i++) {
      boolean used = roles[i] != null;
      ledger.record(pages[i], used ? roles[i] : ROLE + " spare (both mappings share a table)",
          PageOrigin.CONTROL_PAGE, used);
    }
    List<RequiredMapping> required = new ArrayList<>();
    required.add(new RequiredMapping("control page at the VA of relocate_new_kernel", pages[0], va, control));
    required.add(new RequiredMapping("control page at its physical address", pages[0], control, control));
    List<Conflict> conflicts = new ArrayList<>(SwitchConflicts.switchVaIsControlPa(arch, va, control));

    OptionalLong copyRoot = OptionalLong.empty();
    int splits = 0;
    if (arch == Arch.X86_64) {
      // create_page_table_b(): init_level4_page(image, page_table_b, 0, end_pfn << PAGE_SHIFT)
      long b = ledger.controlPage();
      ledger.record(b, "page_table_b pgd", PageOrigin.CONTROL_PAGE, true);
      IdentityMapWriter writer = new IdentityMapWriter(m, mode);
      long end = IdentityRanges.ramEnd(m.ramMap()) & -(2L << 20); // init_level2_page: whole 2 MiB pages
      writer.build(ledger.controlFramesAfter(b), 0, end, KERNPG_TABLE, KERNPG_TABLE, PageSize.SIZE_2M);
      ledger.recordWriterPages(writer, mode, 1, "page_table_b", PageOrigin.CONTROL_PAGE);
      copyRoot = OptionalLong.of(b);
      required.add(new RequiredMapping("control page at its physical address, page_table_b", b, control, control));
    }
    List<AllocatedPage> all = new ArrayList<>(ledger.pages());
    return new TransitionTables(all, pages[0], copyRoot, required, conflicts, splits);
  }
}
