package org.kexecsim.transition;

import java.util.ArrayList;
import java.util.List;
import org.kexecsim.kimage.Errno;
import org.kexecsim.kimage.KImage;
import org.kexecsim.kimage.KexecException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.pagetable.FrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.pagetable.TablePage;

/** The pages a design takes, with their roles, and the allocators it takes them from. */
final class TablePageLedger {
  private final KImage image;
  private final List<AllocatedPage> pages = new ArrayList<>();

  TablePageLedger(KImage image) {
    this.image = image;
  }

  List<AllocatedPage> pages() {
    return List.copyOf(pages);
  }

  void record(long physical, String role, PageOrigin origin, boolean used) {
    pages.add(new AllocatedPage(physical, role, origin, used));
  }

  /** kimage_alloc_control_pages(image, 0), zeroed (clear_page). */
  long controlPage() {
    long pa = image.allocateControlPages(1);
    image.host().memory().write(pa, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
    return pa;
  }

  /** get_zeroed_page(GFP_KERNEL): lowmem of the running kernel, wherever the allocator has it. */
  long kernelPage() {
    long limit = image.arch().lowmemLimit();
    long pa = image.host().freePages().allocate(1, limit);
    if (pa < 0) {
      throw new KexecException(Errno.ENOMEM, "get_zeroed_page(GFP_KERNEL) found no free page for a transition table");
    }
    image.host().memory().write(pa, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
    return pa;
  }

  /** A frame allocator for {@link PageTableBuilder} that takes control pages. */
  FrameAllocator controlFrames() {
    return () -> image.allocateControlPages(1);
  }

  /** Records every table page {@code writer} allocated after the first {@code skip}, named by level. */
  void recordWriterPages(org.kexecsim.pagetable.IdentityMapWriter writer, org.kexecsim.mmu.PagingMode mode, int skip,
      String prefix, PageOrigin origin) {
    List<TablePage> tp = writer.tablePages();
    for (int i = 0; i < tp.size(); i++) {
      if (i >= skip) {
        record(tp.get(i).physical(), prefix + " " + tableName(mode, tp.get(i).level()), origin, true);
      }
    }
  }

  /** A frame allocator that hands out {@code first}, then control pages. */
  FrameAllocator controlFramesAfter(long first) {
    boolean[] given = {false};
    return () -> {
      if (!given[0]) {
        given[0] = true;
        return first;
      }
      return image.allocateControlPages(1);
    };
  }

  /** Records every table page {@code builder} allocated after the first {@code skip}, named by level. */
  void recordBuilderPages(PageTableBuilder builder, int skip, String prefix, PageOrigin origin) {
    List<TablePage> tp = builder.tablePages();
    for (int i = skip; i < tp.size(); i++) {
      record(tp.get(i).physical(), prefix + " " + tableName(builder.mode(), tp.get(i).level()), origin, true);
    }
  }

  /** Linux's name for a table at {@code level} (1 = the one holding PTEs) in {@code mode}. */
  static String tableName(org.kexecsim.mmu.PagingMode mode, int level) {
    return switch (mode) {
      case BITS32 -> level == 2 ? "pgd" : "pte";
      case PAE -> level == 3 ? "pgd (PDPT)" : level == 2 ? "pmd" : "pte";
      default -> new String[] {"", "pte", "pmd", "pud", "pgd", "pgd (PML5)"}[level];
    };
  }
}
