package org.kexecsim.cpu;

/**
 * The visible selector and hidden descriptor cache of one segment register (SDM Vol. 3A §3.4.3).
 * Loaded only when the register is loaded, so it keeps working after its GDT entry is destroyed.
 *
 * @param limit the byte-granular limit (already scaled by G)
 * @param attributes descriptor bits 55:40 (type, S, DPL, P, limit 19:16, AVL, L, D/B, G)
 * @param usable false for a null selector loaded into DS/ES/FS/GS (using it in 32-bit code is #GP)
 */
public record SegmentCache(int selector, long base, long limit, int attributes, boolean usable) {

  /** A null selector: unusable in legacy and compatibility mode, ignored in 64-bit mode. */
  public static SegmentCache nullSelector(int selector) {
    return new SegmentCache(selector, 0, 0, 0, false);
  }

  /** Flat 4 GiB read/write data, like Linux __KERNEL_DS (0x00cf92000000ffff). */
  public static SegmentCache flatData(int selector) {
    return fromDescriptor(selector, 0x00cf_9300_0000_ffffL);
  }

  /** Decodes an 8-byte code or data descriptor (SDM §3.4.5, Figure 3-8). */
  public static SegmentCache fromDescriptor(int selector, long d) {
    long base = ((d >>> 16) & 0xFF_FFFFL) | (((d >>> 56) & 0xFF) << 24);
    long limit = (d & 0xFFFF) | (((d >>> 48) & 0xF) << 16);
    int attributes = (int) ((d >>> 40) & 0xFFFF);
    if ((attributes & G) != 0) {
      limit = (limit << 12) | 0xFFF; // 4 KiB granularity
    }
    return new SegmentCache(selector, base, limit, attributes, true);
  }

  static final int ACCESSED = 1, TYPE_WRITE_OR_READ = 2, TYPE_CONFORMING = 4, TYPE_CODE = 8;
  static final int S = 1 << 4, P = 1 << 7, AVL = 1 << 12, L = 1 << 13, DB = 1 << 14, G = 1 << 15;

  public int rpl() {
    return selector & 3;
  }

  public int dpl() {
    return (attributes >> 5) & 3;
  }

  public boolean present() {
    return (attributes & P) != 0;
  }

  /** A code or data segment (S=1), not a system descriptor. */
  public boolean codeOrData() {
    return (attributes & S) != 0;
  }

  public boolean code() {
    return codeOrData() && (attributes & TYPE_CODE) != 0;
  }

  /** Code: readable; data: writable. */
  public boolean readableOrWritable() {
    return (attributes & TYPE_WRITE_OR_READ) != 0;
  }

  public boolean conforming() {
    return code() && (attributes & TYPE_CONFORMING) != 0;
  }

  /** CS.L: 64-bit code when IA-32e mode is active. */
  public boolean longMode() {
    return (attributes & L) != 0;
  }

  public boolean defaultBig() {
    return (attributes & DB) != 0;
  }

  @Override
  public String toString() {
    return usable
        ? String.format("sel=0x%04x base=0x%x limit=0x%x attr=0x%04x", selector, base, limit, attributes)
        : String.format("sel=0x%04x (null)", selector);
  }
}
