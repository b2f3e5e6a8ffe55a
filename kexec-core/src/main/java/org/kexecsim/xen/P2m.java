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
  /**
   * m2p: each backed pfn packed as {@code mfn << 31 | pfn}, sorted, so that a lookup is a binary
   * search over one primitive array (a pfn fits 31 bits, the table being a Java array; the mfn
   * must fit 32: machines up to 16 TiB).
   */
  private final long[] m2p;

  private P2m(long[] mfnOfPfn) {
    this.mfnOfPfn = mfnOfPfn;
    long[] packed = new long[mfnOfPfn.length];
    int n = 0;
    for (int pfn = 0; pfn < mfnOfPfn.length; pfn++) {
      long mfn = mfnOfPfn[pfn];
      if (mfn == INVALID) {
        continue;
      }
      if (mfn >>> 32 != 0) {
        throw new IllegalArgumentException(String.format(
            "pfn 0x%x maps machine frame 0x%x; this m2p holds machine frames below 2^32 (16 TiB)", pfn, mfn));
      }
      packed[n++] = mfn << 31 | pfn;
    }
    m2p = Arrays.copyOf(packed, n);
    Arrays.sort(m2p);
    for (int i = 1; i < n; i++) {
      if (m2p[i] >>> 31 == m2p[i - 1] >>> 31) {
        throw new IllegalArgumentException(String.format("machine frame 0x%x backs pfns 0x%x and 0x%x", m2p[i] >>> 31,
            m2p[i - 1] & PFN_BITS, m2p[i] & PFN_BITS));
      }
    }
  }

  private static final long PFN_BITS = (1L << 31) - 1;

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
    if (mfn < 0 || mfn >>> 32 != 0) {
      return INVALID;
    }
    int lo = 0;
    int hi = m2p.length - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long m = m2p[mid] >>> 31;
      if (m == mfn) {
        return m2p[mid] & PFN_BITS;
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
