package org.kexecsim.kimage;

/**
 * The flags of a kimage_entry_t (include/linux/kexec.h): a page-aligned physical address with
 * its kind in the low bits.
 */
public final class IndirectionEntry {
  private IndirectionEntry() {}

  /** IND_DESTINATION: the following sources are copied to this page and onwards. */
  public static final long DESTINATION = 0x1;
  /** IND_INDIRECTION: the list continues in this page. */
  public static final long INDIRECTION = 0x2;
  /** IND_DONE: the end of the list. */
  public static final long DONE = 0x4;
  /** IND_SOURCE: copy this page to the current destination, then advance it by a page. */
  public static final long SOURCE = 0x8;

  /** The entry at {@code slot}, {@code bytes} wide: sizeof(unsigned long), 4 on i386, 8 on x86_64. */
  public static long read(org.kexecsim.memory.ReadableMemory memory, long slot, int bytes) {
    return bytes == 8 ? memory.readU64(slot) : memory.readU32(slot);
  }

  /** Stores {@code entry} at {@code slot}, {@code bytes} wide. */
  public static void write(org.kexecsim.memory.PhysicalMemory memory, long slot, int bytes, long entry) {
    if (bytes == 8) {
      memory.writeU64(slot, entry);
    } else {
      memory.writeU32(slot, entry);
    }
  }

  /** "DESTINATION 0x1000" style text for one entry. */
  public static String describe(long entry) {
    String kind =
        (entry & DESTINATION) != 0 ? "DESTINATION"
            : (entry & INDIRECTION) != 0 ? "INDIRECTION"
            : (entry & DONE) != 0 ? "DONE"
            : (entry & SOURCE) != 0 ? "SOURCE"
            : "none";
    return String.format("%s 0x%x", kind, entry & ~0xFFFL);
  }
}
