package org.kexecsim.kimage;

import static org.kexecsim.kimage.IndirectionEntry.DESTINATION;
import static org.kexecsim.kimage.IndirectionEntry.DONE;
import static org.kexecsim.kimage.IndirectionEntry.INDIRECTION;
import static org.kexecsim.kimage.IndirectionEntry.SOURCE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.kexecsim.memory.PhysicalMemory;

/**
 * An indirection list read back from memory the way relocate_kernel's swap_pages loop reads it
 * (arch/x86/kernel/relocate_kernel_64.S and _32.S): the head is the first entry; flags are tested
 * in the order DESTINATION, INDIRECTION, DONE, SOURCE; an entry with none of them is skipped;
 * each SOURCE copies one page to the destination and advances it by 4096.
 *
 * <p>Input may be hostile (a dump, a fuzzer): the walk is bounded by the input. Following a link
 * to a page already read is a cycle; an entry slot, source or destination outside RAM, or
 * running off the end of an indirection page without a link or DONE, is reported with the slot
 * that caused it.
 *
 * @param copies each SOURCE entry as (destination, source), in order
 * @param indirectionPages the pages the list continued into, in order
 */
public record IndirectionWalk(long head, List<PageCopy> copies, List<Long> indirectionPages) {

  /** One page relocate_kernel copies: source to destination. */
  public record PageCopy(long destination, long source) {}

  public IndirectionWalk {
    copies = List.copyOf(copies);
    indirectionPages = List.copyOf(indirectionPages);
  }

  /**
   * Reads the list starting at {@code head} with {@code entryBytes}-wide entries (4 on i386, 8
   * on x86_64).
   *
   * @throws CorruptIndirectionListException when the list cannot be followed to IND_DONE
   */
  public static IndirectionWalk read(PhysicalMemory memory, long head, int entryBytes) {
    if (entryBytes != 4 && entryBytes != 8) {
      throw new IllegalArgumentException("entries are 4 or 8 bytes, not " + entryBytes);
    }
    long addressMask = entryBytes == 8 ? ~0xFFFL : 0xFFFF_F000L;
    List<PageCopy> copies = new ArrayList<>();
    List<Long> pages = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    long destination = 0;
    boolean haveDestination = false;
    long entry = head;
    long slot = -1; // -1: the head register, not a slot in memory
    while (true) {
      String where = slot < 0 ? "the head" : String.format("entry at 0x%x", slot);
      if ((entry & DESTINATION) != 0) {
        destination = entry & addressMask;
        haveDestination = true;
      } else if ((entry & INDIRECTION) != 0) {
        long page = entry & addressMask;
        if (!seen.add(page)) {
          throw new CorruptIndirectionListException(String.format(
              "%s links back to indirection page 0x%x: the list is a cycle", where, page));
        }
        if (!memory.ramMap().containsRange(page, PhysicalMemory.PAGE_SIZE)) {
          throw new CorruptIndirectionListException(String.format(
              "%s links to indirection page 0x%x, which is outside RAM", where, page));
        }
        pages.add(page);
        slot = page;
        entry = IndirectionEntry.read(memory, slot, entryBytes);
        continue;
      } else if ((entry & DONE) != 0) {
        return new IndirectionWalk(head, copies, pages);
      } else if ((entry & SOURCE) != 0) {
        long source = entry & addressMask;
        if (!haveDestination) {
          throw new CorruptIndirectionListException(String.format(
              "%s copies source 0x%x before any DESTINATION entry", where, source));
        }
        if (!memory.ramMap().containsRange(source, PhysicalMemory.PAGE_SIZE)) {
          throw new CorruptIndirectionListException(String.format(
              "%s names source page 0x%x, which is outside RAM", where, source));
        }
        if (!memory.ramMap().containsRange(destination, PhysicalMemory.PAGE_SIZE)) {
          throw new CorruptIndirectionListException(String.format(
              "%s copies to destination 0x%x, which is outside RAM", where, destination));
        }
        copies.add(new PageCopy(destination, source));
        destination += PhysicalMemory.PAGE_SIZE;
      }
      if (slot < 0) {
        throw new CorruptIndirectionListException(String.format(
            "the head 0x%x is neither an indirection page nor DONE: relocate_kernel has nowhere to read on",
            head));
      }
      long nextSlot = slot + entryBytes;
      if ((nextSlot & 0xFFF) == 0) {
        throw new CorruptIndirectionListException(String.format(
            "the list runs off the end of indirection page 0x%x without a link or DONE", slot & ~0xFFFL));
      }
      slot = nextSlot;
      entry = IndirectionEntry.read(memory, slot, entryBytes);
    }
  }

  /** Whether every source is its own destination or no destination at all (kexec_core.c kimage_alloc_page). */
  public boolean sourcesRespectDestinations() {
    Set<Long> destinations = new HashSet<>();
    for (PageCopy c : copies) {
      destinations.add(c.destination());
    }
    for (PageCopy c : copies) {
      if (c.source() != c.destination() && destinations.contains(c.source())) {
        return false;
      }
    }
    return true;
  }
}
