package org.kexecsim.uml.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * The flush from guest page tables to the host address space (arch/um/kernel/tlb.c
 * fix_range_common): walk the PTEs in the changed range, turn each marked one into a host
 * map, unmap or protect, merge it with the previous op when contiguous and alike (add_mmap,
 * add_munmap, add_mprotect), and clear the marks.
 */
public final class FixRange {
  private FixRange() {}

  public static List<HostOp> collect(GuestMm mm) {
    List<HostOp> ops = new ArrayList<>(mm.takeSpanUnmaps());
    if (!mm.needsSync()) {
      return ops;
    }
    GuestPageTable t = mm.tables();
    long end = mm.syncTo();
    for (long va = mm.syncFrom(); va < end; ) {
      long slot = t.pteAddress(va);
      if (slot < 0) {
        va = t.nextSpan(va);
        continue;
      }
      long e = t.read(slot);
      if ((e & (GuestPte.NEWPAGE | GuestPte.NEWPROT)) != 0) {
        int prot = GuestPte.hostProt(e);
        HostOp op;
        if ((e & GuestPte.NEWPAGE) != 0) {
          op = (e & GuestPte.P) != 0
              ? new HostOp.Map(va, 4096, e & GuestPte.FRAME, prot)
              : new HostOp.Unmap(va, 4096);
        } else {
          op = new HostOp.Protect(va, 4096, prot);
        }
        add(ops, op);
        t.write(slot, e & ~(GuestPte.NEWPAGE | GuestPte.NEWPROT));
      }
      va += 4096;
    }
    mm.clearSync();
    return ops;
  }

  /**
   * fix_range with force set (6.1 force_flush_all, run on a new mm's first resume): every page of
   * {@code [from, to)} is stated again, present ones mapped and absent ones unmapped, marks or
   * not. One call is one stub run in 6.1 (do_ops at the end of fix_range_common).
   */
  public static List<HostOp> replay(GuestMm mm, long from, long to) {
    List<HostOp> ops = new ArrayList<>();
    GuestPageTable t = mm.tables();
    for (long va = from; va < to; va += 4096) {
      long slot = t.pteAddress(va);
      long e = slot < 0 ? 0 : t.read(slot);
      add(ops, (e & GuestPte.P) != 0
          ? new HostOp.Map(va, 4096, e & GuestPte.FRAME, GuestPte.hostProt(e))
          : new HostOp.Unmap(va, 4096));
      if (slot >= 0) {
        t.write(slot, e & ~(GuestPte.NEWPAGE | GuestPte.NEWPROT));
      }
    }
    return ops;
  }

  private static void add(List<HostOp> ops, HostOp op) {
    if (!ops.isEmpty()) {
      HostOp last = ops.getLast();
      HostOp merged = switch (last) {
        case HostOp.Map m when op instanceof HostOp.Map n && m.va() + m.len() == n.va()
            && m.offset() + m.len() == n.offset() && m.prot() == n.prot() ->
            new HostOp.Map(m.va(), m.len() + n.len(), m.offset(), m.prot());
        case HostOp.Unmap u when op instanceof HostOp.Unmap n && u.va() + u.len() == n.va() ->
            new HostOp.Unmap(u.va(), u.len() + n.len());
        case HostOp.Protect p when op instanceof HostOp.Protect n && p.va() + p.len() == n.va()
            && p.prot() == n.prot() ->
            new HostOp.Protect(p.va(), p.len() + n.len(), p.prot());
        default -> null;
      };
      if (merged != null) {
        ops.set(ops.size() - 1, merged);
        return;
      }
    }
    ops.add(op);
  }
}
