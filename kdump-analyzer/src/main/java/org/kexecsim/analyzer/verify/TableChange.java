package org.kexecsim.analyzer.verify;

import java.util.List;

/**
 * A page-table page of BEFORE that is not byte-identical in AFTER.
 *
 * @param table the SDM name of the entries it holds: PML4E, PDPTE, PDE, PTE
 * @param missing AFTER has no RAM there at all
 * @param entries the entries that differ, in index order (empty when missing)
 */
public record TableChange(long physical, int level, String table, long linearBase, boolean missing, List<EntryChange> entries) {

  /** Whether software rewrote something here: the table is gone or an entry changed other than by A/D. */
  public boolean software() {
    return missing || entries.stream().anyMatch(e -> e.kind() == ChangeKind.SOFTWARE);
  }
}
