package org.kexecsim.kimage;

import static org.kexecsim.kimage.IndirectionEntry.DESTINATION;
import static org.kexecsim.kimage.IndirectionEntry.DONE;
import static org.kexecsim.kimage.IndirectionEntry.INDIRECTION;
import static org.kexecsim.kimage.IndirectionEntry.SOURCE;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.kexecsim.memory.PhysicalMemory;

/**
 * The kimage's list of pages to copy, written into physical memory entry by entry exactly as
 * kernel/kexec_core.c writes it: kimage_add_entry() fills an indirection page with data entries
 * and, in its last slot, the link to the next page (511 + 1 with 8-byte entries on x86_64, 1023
 * + 1 with 4-byte entries on i386); the slot after the last entry is kept zero; kimage_terminate()
 * puts IND_DONE there. The head lives in struct kimage, not in memory.
 */
public final class IndirectionList {
  /** Stands for &image->head, the slot that is not in physical memory. */
  private static final long HEAD_SLOT = -1;

  private final PhysicalMemory memory;
  private final int entryBytes;
  private final LongSupplier newIndirectionPage;
  private final List<Long> indirectionPages = new ArrayList<>();
  private long head;
  private long entrySlot = HEAD_SLOT; // image->entry
  private long lastEntrySlot = HEAD_SLOT; // image->last_entry
  private long entries;

  /**
   * @param newIndirectionPage kimage_alloc_page(image, GFP_KERNEL, KIMAGE_NO_DEST): a page that
   *     is no destination; it throws when there is none
   */
  IndirectionList(PhysicalMemory memory, Arch arch, LongSupplier newIndirectionPage) {
    this.memory = memory;
    this.entryBytes = arch.longBytes();
    this.newIndirectionPage = newIndirectionPage;
  }

  /** image->head: what relocate_kernel receives as the page list. */
  public long head() {
    return head;
  }

  /** The indirection pages, in the order they were linked. */
  public List<Long> indirectionPages() {
    return List.copyOf(indirectionPages);
  }

  /** Data entries written (DESTINATION and SOURCE), not counting links and DONE. */
  public long entries() {
    return entries;
  }

  /** kimage_set_destination(): the next sources go to {@code destination} (page-aligned down). */
  void setDestination(long destination) {
    addEntry((destination & ~0xFFFL) | DESTINATION);
  }

  /** kimage_add_page(): copy the page at {@code source} to the current destination. */
  void addSource(long source) {
    addEntry((source & ~0xFFFL) | SOURCE);
  }

  /** kimage_terminate(): IND_DONE in the slot after the last entry. */
  void terminate() {
    if (read(entrySlot) != 0) {
      entrySlot = next(entrySlot);
    }
    write(entrySlot, DONE);
  }

  /** The address of the entry slot holding {@code entry}'s source, for the kimage_dst_used swap. */
  void rewrite(long slot, long value) {
    write(slot, value);
  }

  /** Where the entry just added lives (before the zero slot). */
  long lastWrittenSlot() {
    return entrySlot - entryBytes;
  }

  private void addEntry(long entry) {
    if (read(entrySlot) != 0) {
      entrySlot = next(entrySlot);
    }
    if (entrySlot == lastEntrySlot) {
      long page = newIndirectionPage.getAsLong();
      memory.write(page, new byte[PhysicalMemory.PAGE_SIZE], 0, PhysicalMemory.PAGE_SIZE);
      write(entrySlot, page | INDIRECTION);
      indirectionPages.add(page);
      entrySlot = page;
      lastEntrySlot = page + PhysicalMemory.PAGE_SIZE - entryBytes;
    }
    write(entrySlot, entry);
    entrySlot = next(entrySlot);
    write(entrySlot, 0);
    entries++;
  }

  private long next(long slot) {
    if (slot == HEAD_SLOT) {
      throw new IllegalStateException("the head slot has no successor; a page must be linked first");
    }
    return slot + entryBytes;
  }

  private long read(long slot) {
    if (slot == HEAD_SLOT) {
      return head;
    }
    return IndirectionEntry.read(memory, slot, entryBytes);
  }

  private void write(long slot, long value) {
    if (slot == HEAD_SLOT) {
      head = value;
    } else {
      IndirectionEntry.write(memory, slot, entryBytes, value);
    }
  }
}
