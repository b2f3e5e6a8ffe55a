package org.kexecsim.uml.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.pagetable.TablePage;

/**
 * A host mm: its mappings (VMAs) and the real x86 page table the host MMU walks for them. mmap
 * writes present PTEs at once (the physmem file's pages are always resident), so every host #PF
 * on this address space is an access the mappings do not allow, and becomes SIGSEGV.
 */
public final class HostAddressSpace {
  static final int EINVAL = -22;
  static final int ENOMEM = -12;

  private final HostMachine host;
  private final PageTableBuilder tables;
  private final PagingState paging;
  private final TreeMap<Long, HostVma> vmas = new TreeMap<>();
  private boolean destroyed;

  HostAddressSpace(HostMachine host) {
    this.host = host;
    this.tables = PageTableBuilder.create(host.memory(), host.arch().paging(), host.frames());
    this.paging = pagingFor(host, tables.root());
  }

  private static PagingState pagingFor(HostMachine host, long cr3) {
    return LinuxControl.of(host.arch().paging()).load(cr3, host.memory(), CpuFeatures.DEFAULT)
        .orThrow(r -> new IllegalStateException("host CR3 load refused: " + r));
  }

  /** The CR3 the host loads when it runs a process in this address space. */
  public PagingState paging() {
    return paging;
  }

  public long root() {
    return tables.root();
  }

  public List<HostVma> vmas() {
    return List.copyOf(vmas.values());
  }

  /** The mapping containing {@code va}, or null. */
  public HostVma vmaAt(long va) {
    Map.Entry<Long, HostVma> e = vmas.floorEntry(va);
    return e != null && va < e.getValue().end() ? e.getValue() : null;
  }

  /** mmap(va, len, prot, MAP_SHARED|MAP_FIXED, physmem, offset) with offset given as a host PA. */
  int mmap(long va, long len, int prot, long physical) {
    int bad = check(va, len);
    if (bad != 0) {
      return bad;
    }
    munmap(va, len); // MAP_FIXED replaces whatever was there (mm/mmap.c do_mmap)
    vmas.put(va, new HostVma(va, va + len, prot, physical));
    writePtes(va, len, prot, physical);
    return 0;
  }

  int munmap(long va, long len) {
    int bad = check(va, len);
    if (bad != 0) {
      return bad;
    }
    for (HostVma v : carve(va, va + len)) {
      vmas.remove(v.start());
      tables.unmap(v.start(), v.end() - v.start());
    }
    return 0;
  }

  int mprotect(long va, long len, int prot) {
    int bad = check(va, len);
    if (bad != 0) {
      return bad;
    }
    List<HostVma> inside = carve(va, va + len);
    long covered = 0;
    for (HostVma v : inside) {
      covered += v.end() - v.start();
    }
    if (covered != len) {
      return ENOMEM; // mprotect on a hole (mm/mprotect.c)
    }
    for (HostVma v : inside) {
      vmas.put(v.start(), v.withProt(prot));
      writePtes(v.start(), v.end() - v.start(), prot, v.physical());
    }
    return 0;
  }

  /** A copy of every mapping in a new page table: what fork(2) gives the child (tt mode). */
  HostAddressSpace forkCopy() {
    HostAddressSpace c = new HostAddressSpace(host);
    for (HostVma v : vmas.values()) {
      c.mmap(v.start(), v.end() - v.start(), v.prot(), v.physical());
    }
    return c;
  }

  /** Frees the page-table pages (exit_mmap on the host). */
  void destroy() {
    if (destroyed) {
      return;
    }
    destroyed = true;
    for (TablePage p : tables.tablePages()) {
      host.frames().free(p.physical());
    }
    vmas.clear();
  }

  public boolean destroyed() {
    return destroyed;
  }

  private int check(long va, long len) {
    if (((va | len) & 0xFFF) != 0 || len <= 0) {
      return EINVAL;
    }
    if (va < 0 || va + len > host.arch().hostTop() || va + len < va) {
      return ENOMEM;
    }
    return 0;
  }

  /** Splits VMAs at {@code from} and {@code to}; returns those now inside, ascending. */
  private List<HostVma> carve(long from, long to) {
    splitAt(from);
    splitAt(to);
    return new ArrayList<>(vmas.subMap(from, true, to, false).values());
  }

  private void splitAt(long va) {
    HostVma v = vmaAt(va);
    if (v != null && v.start() != va) {
      vmas.put(v.start(), v.slice(v.start(), va));
      vmas.put(va, v.slice(va, v.end()));
    }
  }

  private void writePtes(long va, long len, int prot, long physical) {
    if (prot == Prot.NONE) {
      // PROT_NONE leaves no present PTE (x86 _PAGE_PROTNONE is P=0 to the MMU).
      tables.unmap(va, len);
      return;
    }
    long flags = PageTableEntry.P | PageTableEntry.US;
    if ((prot & Prot.WRITE) != 0) {
      flags |= PageTableEntry.RW;
    }
    if ((prot & Prot.EXEC) == 0 && host.arch().hasNx()) {
      flags |= PageTableEntry.XD;
    }
    tables.map(va, physical, len, flags, PageTableEntry.PAGE_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
  }
}
