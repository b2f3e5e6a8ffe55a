package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL_EXEC;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.Errno;
import org.kexecsim.kimage.KexecException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.FrameAllocator;
import org.kexecsim.pagetable.IdentityMapWriter;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.mmu.PageSize;

/**
 * KEXEC_CMD_kexec_load in the hypervisor, after dom0's machine_kexec_prepare(): dom0 hands over
 * xen_kexec_image_t.page_list, KEXEC_XEN_NO_PAGES = 17 slots (xen/include/public/kexec.h): the
 * control page and each of page_table_a's pages as machine address / VA pairs, and one
 * machine-only table page (Linux arch/x86/include/asm/xen/kexec.h names them XK_MA_CONTROL_PAGE,
 * XK_MA_PGD_PAGE, XK_MA_PUD0/1, XK_MA_PMD0/1, XK_MA_PTE0/1, XK_MA_TABLE_PAGE).
 * machine_kexec_load() (xen/arch/x86/machine_kexec.c) maps every machine address at a fixmap
 * slot and writes that VA into the odd slot; the control page's VA, page_list[1], is what the
 * crash path calls. Then, as the seed describes the port, the pages of page_table_a are
 * overwritten: what dom0 filled in (its own VA for the code) is replaced by the control page at
 * the hypervisor's VA and at its machine address.
 *
 * <p>The slots have page_table_a's fixed shape; a design whose table size depends on the memory
 * map cannot be described in them once it needs more pages than they hold, and the load is
 * refused (the seed's claim that two tables "always work, regardless of the memory map").
 */
public final class HypervisorLoad {
  private HypervisorLoad() {}

  /** KEXEC_XEN_NO_PAGES. */
  public static final int KEXEC_XEN_NO_PAGES = 17;
  /** Table pages page_list can name: seven with a VA (pgd, pud0/1, pmd0/1, pte0/1) and the table page. */
  public static final int TABLE_SLOTS = 8;

  /** set_fixmap(): maps a machine page at the hypervisor's next kexec slot, returns its VA. */
  @FunctionalInterface
  public interface Fixmap {
    long map(long machineAddress);
  }

  /**
   * What the hypercall did.
   *
   * @param pageList the 17 slots as the hypervisor left them (0 where unused)
   * @param tablesRewritten table pages the hypervisor overwrote
   * @param report dom0's prepare report with the switching code at the hypervisor's VA and the
   *     mappings checked again
   */
  public record Result(long[] pageList, int tablesRewritten, PrepareReport report) {
    public long controlVirtual() {
      return pageList[1];
    }
  }

  /**
   * @throws KexecException EINVAL when the design's tables do not fit page_list, or are not
   *     tables a Xen port had
   */
  public static Result load(PhysicalMemory m, Arch arch, CpuFeatures cpu, TransitionDesign design, PrepareReport prep,
      Fixmap fixmap) {
    List<Long> tables = new ArrayList<>();
    for (AllocatedPage p : prep.pages()) {
      // page_table_a's pages in allocation order (pgd first, spares too); a single table's every page
      boolean handed = design instanceof PageTableADesign ? p.role().startsWith(PageTableADesign.ROLE) : p.used();
      if (handed) {
        tables.add(p.physical());
      }
    }
    long control = prep.controlPage();
    long[] list = new long[KEXEC_XEN_NO_PAGES];
    switch (design) {
      case PageTableADesign d -> {
        if (tables.size() > TABLE_SLOTS - 1) { // the last slot is page_table_b's, machine address only
          throw new KexecException(Errno.EINVAL, String.format(
              "page_table_a has %d pages; xen_kexec_image_t.page_list has room for %d with their VAs",
              tables.size(), TABLE_SLOTS - 1));
        }
        list[0] = control;
        list[1] = fixmap.map(control);
        for (int i = 0; i < tables.size(); i++) {
          list[2 + 2 * i] = tables.get(i);
          list[3 + 2 * i] = fixmap.map(tables.get(i));
        }
        prep.copyRoot().ifPresent(b -> list[16] = b);
        long[] pages = tables.stream().mapToLong(Long::longValue).toArray();
        for (long p : pages) {
          m.write(p, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
        }
        PageTableADesign.fill(m, arch.pagingMode(), pages, list[1], control);
      }
      case SingleTableDesign d -> {
        if (tables.size() > TABLE_SLOTS) {
          throw new KexecException(Errno.EINVAL, String.format(
              "the single table needs %d pages for this machine's memory map (identity map of %d MiB with %s pages, "
                  + "plus the control page's VA); xen_kexec_image_t.page_list has %d slots, room for %d table pages "
                  + "in page_table_a's shape, so the hypervisor cannot be handed the table to rewrite",
              tables.size(), SingleTableDesign.identityEnd(arch, m.ramMap()) >> 20,
              SingleTableDesign.identityPage(arch).label(), KEXEC_XEN_NO_PAGES, TABLE_SLOTS));
        }
        list[0] = control;
        list[1] = fixmap.map(control);
        list[16] = prep.switchRoot();
        rebuildSingleTable(m, arch.pagingMode(), arch, tables, list[1], control);
      }
      case LegacyDesign d -> throw notXen(design);
      case MainlineDesign d -> throw notXen(design);
    }
    List<MappingCheck> checks = new ArrayList<>();
    checks.add(Preparation.check(m, arch, cpu, new RequiredMapping("control page at the hypervisor's VA", prep.switchRoot(),
        list[1], control)));
    checks.add(Preparation.check(m, arch, cpu, new RequiredMapping("control page at its machine address", prep.switchRoot(),
        control, control)));
    if (prep.copyRoot().isPresent() && prep.copyRoot().getAsLong() != prep.switchRoot()) {
      checks.add(Preparation.check(m, arch, cpu, new RequiredMapping("control page at its machine address, page_table_b",
          prep.copyRoot().getAsLong(), control, control)));
    }
    return new Result(list, tables.size(), prep.withSwitch(list[1], checks));
  }

  /** Whether {@code design} can run under Xen here: page-table-a (the seed's port) and single-table (tried against it). */
  public static boolean ported(TransitionDesign design) {
    return switch (design) {
      case PageTableADesign d -> true;
      case SingleTableDesign d -> true;
      case LegacyDesign d -> false;
      case MainlineDesign d -> false;
    };
  }

  private static KexecException notXen(TransitionDesign design) {
    return new KexecException(Errno.EINVAL, "the " + design.cliName()
        + " design has no Xen port here: page_list is page_table_a's shape (page-table-a; single-table is tried against it)");
  }

  /**
   * The hypervisor's rewrite of a single table in the pages it was handed: the identity part of
   * the machine's RAM, then the control page at its own VA.
   */
  private static void rebuildSingleTable(PhysicalMemory m, PagingMode mode, Arch arch, List<Long> pages, long va, long control) {
    for (long p : pages) {
      m.write(p, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
    }
    int[] next = {0};
    FrameAllocator handed = () -> {
      if (next[0] == pages.size()) {
        throw new KexecException(Errno.ENOMEM, String.format(
            "the hypervisor's single table for this machine needs more than the %d pages dom0 handed over", pages.size()));
      }
      return pages.get(next[0]++);
    };
    PageSize large = SingleTableDesign.identityPage(arch);
    long root = new IdentityMapWriter(m, mode).build(handed, 0, SingleTableDesign.identityEnd(arch, m.ramMap()),
        KERNPG_TABLE, KERNPG_TABLE, large);
    PageTableBuilder.onExisting(m, mode, root, handed).map(va, control, PhysicalMemory.PAGE_SIZE, PAGE_KERNEL_EXEC,
        KERNPG_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
  }
}
