package org.kexecsim.xen;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.ReadableMemory;
import org.kexecsim.pagetable.FrameAllocator;

/**
 * The p2m as the hypervisor finds it in machine memory: a three-level list of machine frames.
 * The top page (pfn_to_mfn_frame_list_list, whose MFN Xen's crash note carries) lists the
 * frames of the middle pages, which list the frames of the leaf pages, which hold one MFN per
 * pfn; every entry is an unsigned long (Linux arch/x86/xen/p2m.c p2m_top_mfn / p2m_mid_mfn,
 * P2M_PER_PAGE = PAGE_SIZE / sizeof(unsigned long); makedumpfile's arch/x86_64.c and x86.c read
 * it the same way from dom0_pfn_to_mfn_frame_list_list).
 */
public final class P2mFrames {
  private P2mFrames() {}

  /** Entries in one page of the list: 512 with 8-byte longs, 1024 with 4-byte ones. */
  public static int perPage(int longBytes) {
    return PhysicalMemory.PAGE_SIZE / longBytes;
  }

  /**
   * Writes {@code p2m} into {@code memory} in pages from {@code frames}.
   *
   * @return the machine frame number of the top page (pfn_to_mfn_frame_list_list)
   */
  public static long write(PhysicalMemory memory, P2m p2m, int longBytes, FrameAllocator frames) {
    int per = perPage(longBytes);
    long leaves = (p2m.pages() + per - 1) / per;
    long mids = (leaves + per - 1) / per;
    if (mids > per) {
      throw new IllegalArgumentException(p2m.pages() + " pfns need more than one frame-list-list page");
    }
    long top = frames.allocateFrame();
    long[] mid = new long[(int) mids];
    for (int i = 0; i < mids; i++) {
      mid[i] = frames.allocateFrame();
      put(memory, top, i, mid[i] >>> PhysicalMemory.PAGE_SHIFT, longBytes);
    }
    for (long l = 0; l < leaves; l++) {
      long leaf = frames.allocateFrame();
      put(memory, mid[(int) (l / per)], (int) (l % per), leaf >>> PhysicalMemory.PAGE_SHIFT, longBytes);
      for (int i = 0; i < per; i++) {
        put(memory, leaf, i, p2m.mfn(l * per + i), longBytes);
      }
    }
    return top >>> PhysicalMemory.PAGE_SHIFT;
  }

  /**
   * Reads the list back from an image. The top page's MFN comes from a dump note, so it and every
   * frame it leads to are untrusted: a frame outside the image's RAM, or more leaf pages than
   * {@code maxPages} pfns need, ends the read with one line naming it.
   *
   * @throws IllegalArgumentException naming the frame and the level that was wrong
   */
  public static P2m read(ReadableMemory memory, long topMfn, int longBytes, long maxPages) {
    int per = perPage(longBytes);
    long top = frame(memory, topMfn, "pfn_to_mfn_frame_list_list");
    long limit = Math.min(maxPages, Integer.MAX_VALUE - per);
    long[] table = new long[0];
    int n = 0;
    for (int i = 0; i < per; i++) {
      long midMfn = get(memory, top, i, longBytes);
      if (midMfn == 0) {
        break;
      }
      long mid = frame(memory, midMfn, "p2m frame list " + i);
      for (int j = 0; j < per; j++) {
        long leafMfn = get(memory, mid, j, longBytes);
        if (leafMfn == 0) {
          break;
        }
        if (n + (long) per > limit) {
          throw new IllegalArgumentException(String.format(
              "the p2m lists more than %d pfns (frame list %d, entry %d): more than the image's RAM holds", limit, i, j));
        }
        long leaf = frame(memory, leafMfn, "p2m page " + ((long) i * per + j));
        if (table.length < n + per) {
          table = java.util.Arrays.copyOf(table, Math.max(2 * table.length, n + per));
        }
        for (int k = 0; k < per; k++) {
          table[n + k] = get(memory, leaf, k, longBytes);
        }
        n += per;
      }
    }
    while (n > 0 && table[n - 1] == P2m.INVALID) {
      n--;
    }
    return P2m.of(java.util.Arrays.copyOf(table, n));
  }

  private static long frame(ReadableMemory memory, long mfn, String what) {
    long pa = mfn << PhysicalMemory.PAGE_SHIFT;
    if (mfn < 0 || mfn >>> (64 - PhysicalMemory.PAGE_SHIFT) != 0 || !memory.ramMap().containsRange(pa, PhysicalMemory.PAGE_SIZE)) {
      throw new IllegalArgumentException(String.format("the %s at machine frame 0x%x is outside the image's RAM", what, mfn));
    }
    return pa;
  }

  private static void put(PhysicalMemory m, long page, int index, long value, int longBytes) {
    if (longBytes == 8) {
      m.writeU64(page + 8L * index, value);
    } else {
      m.writeU32(page + 4L * index, value & 0xFFFF_FFFFL);
    }
  }

  private static long get(ReadableMemory m, long page, int index, int longBytes) {
    if (longBytes == 8) {
      return m.readU64(page + 8L * index);
    }
    long v = m.readU32(page + 4L * index);
    return v == 0xFFFF_FFFFL ? P2m.INVALID : v;
  }
}
