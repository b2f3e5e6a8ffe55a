package org.kexecsim.uml.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.pagetable.TablePage;
import org.kexecsim.pagetable.TableWalk;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Physmem;

/**
 * A guest mm's page tables: real x86 tables (4-level on x86_64, 2-level on i386) in UML's
 * physmem, built with {@link PageTableBuilder}. PTE values are then read and written in place,
 * as the kernel's set_pte does. Remembers its PTE pages by the span they map, for exit_mmap.
 */
public final class GuestPageTable {
  private final Physmem memory;
  private final HostArch arch;
  private final PagingMode paging;
  private final PageTableBuilder builder;
  private final TreeMap<Long, Long> ptePages = new TreeMap<>();

  GuestPageTable(Physmem memory, HostArch arch, GuestFrames frames) {
    this.memory = memory;
    this.arch = arch;
    this.paging = arch.paging();
    this.builder = PageTableBuilder.create(memory, arch.paging(), frames);
  }

  public long root() {
    return builder.root();
  }

  /** The guest-physical address of the PTE for {@code va}, or -1 when no PTE page covers it. */
  public long pteAddress(long va) {
    long slot = TableWalk.pteSlot(memory, paging, builder.root(), va);
    if (slot < 0) {
      missingSpanShift = paging.shift((int) -slot);
      return -1;
    }
    return slot;
  }

  /**
   * The PTE slot for {@code va}, allocating the tables above it when missing; reports through
   * the return of {@link #lastAllocatedPtePage()} whether a PTE page was allocated.
   */
  long ensurePte(long va) {
    long slot = pteAddress(va);
    allocatedPtePage = false;
    if (slot >= 0) {
      return slot;
    }
    long page = va & ~0xFFFL;
    // Let the builder allocate the missing levels, then clear the leaf it wrote.
    builder.map(page, 0, 4096, PageTableEntry.P, PageTableEntry.PAGE_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
    slot = pteAddress(va);
    write(slot, 0);
    ptePages.put(va & -arch.pteSpan(), slot & ~0xFFFL);
    allocatedPtePage = true;
    return slot;
  }

  private boolean allocatedPtePage;

  boolean lastAllocatedPtePage() {
    return allocatedPtePage;
  }

  public long read(long slot) {
    return paging.readEntry(memory, slot);
  }

  public void write(long slot, long value) {
    paging.writeEntry(memory, slot, value);
  }

  /** The PTE pages, keyed by the first address of the span each maps. */
  TreeMap<Long, Long> ptePages() {
    return ptePages;
  }

  List<Long> allTablePages() {
    List<Long> out = new ArrayList<>();
    for (TablePage p : builder.tablePages()) {
      out.add(p.physical());
    }
    return out;
  }

  private int missingSpanShift = 12;

  /**
   * After {@link #pteAddress} returned -1 for {@code va}: the first address past the span of the
   * missing entry, so walks skip an absent PML4E's 512 GiB at once, as the kernel's pgd/pud/pmd
   * loops do. Never less than one page past {@code va}.
   */
  long nextSpan(long va) {
    long span = 1L << missingSpanShift;
    long next = (va & -span) + span;
    return next <= va ? Long.MAX_VALUE : next;
  }
}
