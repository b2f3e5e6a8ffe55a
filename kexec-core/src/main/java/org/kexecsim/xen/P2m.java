package org.kexecsim.xen;

import java.util.Arrays;
import org.kexecsim.memory.PhysicalMemory;

/**
 * A PV domain's pseudo-physical to machine frame table (p2m) and its inverse (m2p). Under Xen a
 * PV guest's "physical" frames are its own numbering; the hardware sees machine frames, and the
 * guest's page tables hold machine frame numbers (Xen's PV memory model; the seed's "Linux under
 * xen runs with pseudophysical addresses"). {@link #INVALID} marks a pfn with no machine frame
 * (INVALID_P2M_ENTRY, ~0, in Linux's arch/x86/include/asm/xen/page.h).
 */
public final class P2m {
  /** INVALID_P2M_ENTRY: a pseudo-physical frame with no machine frame behind it. */
  public static final long INVALID = -1L;

  private final long[] mfnOfPfn;
  /** {mfn, pfn} pairs sorted by mfn: m2p by binary search. */
  private final long[] byMfn;

  private P2m(long[] mfnOfPfn) {
    this.mfnOfPfn = mfnOfPfn;
    int n = 0;
    for (long m : mfnOfPfn) {
      n += m == INVALID ? 0 : 1;
    }
    long[][] pairs = new long[n][];
    int k = 0;
    for (int pfn = 0; pfn < mfnOfPfn.length; pfn++) {
      if (mfnOfPfn[pfn] != INVALID) {
        pairs[k++] = new long[] {mfnOfPfn[pfn], pfn};
      }
    }
    Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));
    byMfn = new long[2 * n];
    for (int i = 0; i < n; i++) {
      if (i > 0 && pairs[i][0] == pairs[i - 1][0]) {
        throw new IllegalArgumentException(String.format("machine frame 0x%x backs pfns 0x%x and 0x%x", pairs[i][0],
            pairs[i - 1][1], pairs[i][1]));
      }
      byMfn[2 * i] = pairs[i][0];
      byMfn[2 * i + 1] = pairs[i][1];
    }
  }

  /** A table from its entries, index = pfn; {@link #INVALID} for a frame without machine memory. */
  public static P2m of(long[] mfnOfPfn) {
    return new P2m(mfnOfPfn.clone());
  }

  /** pfns {@code [0, pages)} in extents of {@code extentPages}, extent i at machine frame {@code extentMfns[i]}. */
  public static P2m ofExtents(long pages, long extentPages, long[] extentMfns) {
    if (pages > Integer.MAX_VALUE || (pages + extentPages - 1) / extentPages > extentMfns.length) {
      throw new IllegalArgumentException(pages + " pages do not fit " + extentMfns.length + " extents of " + extentPages);
    }
    long[] t = new long[(int) pages];
    for (int pfn = 0; pfn < pages; pfn++) {
      t[pfn] = extentMfns[(int) (pfn / extentPages)] + pfn % extentPages;
    }
    return new P2m(t);
  }

  /** Frames the table covers: pfn 0 up to this, exclusive (max_pfn). */
  public long pages() {
    return mfnOfPfn.length;
  }

  /** pfn_to_mfn(): the machine frame of a pseudo-physical frame, or {@link #INVALID}. */
  public long mfn(long pfn) {
    return pfn >= 0 && pfn < mfnOfPfn.length ? mfnOfPfn[(int) pfn] : INVALID;
  }

  /** mfn_to_pfn() through the m2p: the pseudo-physical frame a machine frame backs, or {@link #INVALID}. */
  public long pfn(long mfn) {
    int lo = 0;
    int hi = byMfn.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long m = byMfn[2 * mid];
      if (m == mfn) {
        return byMfn[2 * mid + 1];
      }
      if (m < mfn) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return INVALID;
  }

  /** phys_to_machine(): a pseudo-physical address to its machine address, or {@link #INVALID}. */
  public long machine(long pseudoPhysical) {
    long mfn = mfn(pseudoPhysical >>> PhysicalMemory.PAGE_SHIFT);
    return mfn == INVALID ? INVALID : mfn << PhysicalMemory.PAGE_SHIFT | (pseudoPhysical & 0xFFF);
  }

  /** machine_to_phys(): a machine address to the pseudo-physical address it backs, or {@link #INVALID}. */
  public long pseudoPhysical(long machine) {
    long pfn = pfn(machine >>> PhysicalMemory.PAGE_SHIFT);
    return pfn == INVALID ? INVALID : pfn << PhysicalMemory.PAGE_SHIFT | (machine & 0xFFF);
  }
}
