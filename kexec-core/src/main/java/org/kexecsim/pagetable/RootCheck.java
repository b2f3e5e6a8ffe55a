package org.kexecsim.pagetable;

import java.util.List;

/**
 * The one verdict on whether a page-table root survived from BEFORE into AFTER: every table
 * reachable from it in BEFORE compared byte for byte at the same address in AFTER, and, when
 * asked for, every translation it defined. Made by {@link RootPreservation}; prepare,
 * transition and verify-pgd read it (verify-pgd adds its entry-by-entry explanation).
 *
 * @param tablePages distinct tables reachable from the root in BEFORE
 * @param changedTables reachable tables whose bytes changed or that AFTER's RAM lacks, in walk order
 * @param translations leaf mappings the tables define in BEFORE
 * @param translationsChanged leaf translations that appeared, vanished or changed (0 when not compared)
 * @param unreadable tables BEFORE links to outside its own RAM (the walk went on without them)
 */
public record RootCheck(
    String label,
    long root,
    int tablePages,
    List<Table> changedTables,
    long translations,
    long translationsChanged,
    List<Table> unreadable) {

  /**
   * One table of the hierarchy: {@code bytes} at {@code physical} (a PAE PDPT is 32 bytes),
   * {@code level} 1 (PT) up to 5, for the linear addresses from {@code linearBase} (not
   * sign-extended); {@code missing} when AFTER's RAM does not hold it.
   */
  public record Table(long physical, int bytes, int level, long linearBase, boolean missing) {}

  public RootCheck {
    changedTables = List.copyOf(changedTables);
    unreadable = List.copyOf(unreadable);
  }

  /** The pages of the changed tables, in walk order. */
  public List<Long> changedPages() {
    return changedTables.stream().map(t -> t.physical() & ~0xFFFL).toList();
  }

  /** No reachable table changed and no translation changed. */
  public boolean preserved() {
    return changedTables.isEmpty() && translationsChanged == 0;
  }
}
