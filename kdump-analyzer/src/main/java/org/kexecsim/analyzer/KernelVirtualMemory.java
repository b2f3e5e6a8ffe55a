package org.kexecsim.analyzer;

import org.kexecsim.memory.PageExcludedException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;

/**
 * Reads a dump's memory at kernel virtual addresses, each page translated through the page
 * tables of {@code paging} (the walker of the MMU model, read-only), as makedumpfile's {@code
 * readmem(VADDR, ...)} and crash's {@code readmem(KVADDR)} do. A read crossing a page boundary
 * translates each page on its own. A read of an unmapped address, of RAM the dump does not hold,
 * or of tables outside the image is an {@link AnalysisException} (bad input) naming what was read.
 *
 * <p>Word size follows the paging mode: 8 bytes for 4- and 5-level paging, 4 for 32-bit and PAE,
 * the kernel's {@code sizeof(unsigned long)} and pointer size.
 */
public final class KernelVirtualMemory {
  private final PhysicalMemory memory;
  private final PagingContext paging;
  private final PageWalker walker;
  private final String image;
  // One-entry TLB: consecutive reads of one structure stay on one page.
  private long cachedPage = 1;
  private long cachedFrame;

  /** @param image the file name, for messages */
  public KernelVirtualMemory(PhysicalMemory memory, PagingContext paging, String image) {
    this.memory = memory;
    this.paging = paging;
    this.walker = new PageWalker(memory);
    this.image = image;
  }

  public PagingContext paging() {
    return paging;
  }

  /** Bytes in the kernel's {@code unsigned long} and pointers. */
  public int wordSize() {
    return paging.mode().isLongMode() ? 8 : 4;
  }

  /** Whether kernel addresses are 32-bit (so address arithmetic wraps at 2^32). */
  public boolean is32Bit() {
    return paging.mode() != PagingMode.LEVEL4 && paging.mode() != PagingMode.LEVEL5;
  }

  /** The physical address of {@code va}; {@code what} names it in the failure message. */
  public long physical(long va, String what) {
    long page = va & -PhysicalMemory.PAGE_SIZE;
    if (page != cachedPage) {
      long r;
      try {
        r = walker.walk(paging.state(), page, Access.READ, false);
      } catch (PhysicalAccessException e) {
        throw unreadable(va, what, "its page tables are not in the dump: " + e.getMessage());
      }
      if (PageWalker.isFault(r)) {
        throw unreadable(va, what, "not mapped by the " + paging.mode().cliName() + " tables at " + Hex.of(paging.root()));
      }
      cachedFrame = r;
      cachedPage = page;
    }
    return cachedFrame + (va & (PhysicalMemory.PAGE_SIZE - 1));
  }

  /** Copies {@code length} bytes at {@code va} into {@code dst[offset..]}, page by page. */
  public void read(long va, byte[] dst, int offset, int length, String what) {
    int done = 0;
    while (done < length) {
      long at = addressAdd(va, done);
      int inPage = (int) Math.min(length - done, PhysicalMemory.PAGE_SIZE - (at & (PhysicalMemory.PAGE_SIZE - 1)));
      long pa = physical(at, what);
      try {
        memory.read(pa, dst, offset + done, inPage);
      } catch (PhysicalAccessException e) {
        throw unreadable(at, what, (e instanceof PageExcludedException ? "" : "it maps outside the dump's RAM: ") + e.getMessage());
      }
      done += inPage;
    }
  }

  public int readU16(long va, String what) {
    byte[] b = new byte[2];
    read(va, b, 0, 2, what);
    return (b[0] & 0xff) | (b[1] & 0xff) << 8;
  }

  public long readU32(long va, String what) {
    byte[] b = new byte[4];
    read(va, b, 0, 4, what);
    return littleEndian(b, 0, 4);
  }

  public long readU64(long va, String what) {
    byte[] b = new byte[8];
    read(va, b, 0, 8, what);
    return littleEndian(b, 0, 8);
  }

  /** An {@code unsigned long} or pointer, zero-extended. */
  public long readWord(long va, String what) {
    return wordSize() == 8 ? readU64(va, what) : readU32(va, what);
  }

  /** {@code va + delta} as the kernel computes it: modulo 2^32 on a 32-bit kernel. */
  public long addressAdd(long va, long delta) {
    long s = va + delta;
    return is32Bit() ? s & 0xFFFF_FFFFL : s;
  }

  static long littleEndian(byte[] b, int offset, int bytes) {
    long v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
      v = v << 8 | (b[offset + i] & 0xffL);
    }
    return v;
  }

  private AnalysisException unreadable(long va, String what, String why) {
    return new AnalysisException(AnalysisException.Kind.BAD_INPUT,
        String.format("%s: %s at kernel address %s cannot be read: %s", image, what, Hex.of(va), why));
  }
}
