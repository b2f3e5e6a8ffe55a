package org.kexecsim.pagetable;

import java.util.List;

/**
 * Whether one of the crashed kernel's page-table roots survived: every table page reachable
 * from it before the load compared byte for byte afterwards, and every translation it defined
 * compared.
 *
 * @param changedPages reachable table pages whose bytes changed
 * @param translationsChanged leaf translations that appeared, vanished or changed
 */
public record RootCheck(
    String label,
    long root,
    int tablePages,
    List<Long> changedPages,
    int translations,
    int translationsChanged) {

  public RootCheck {
    changedPages = List.copyOf(changedPages);
  }

  public boolean preserved() {
    return changedPages.isEmpty() && translationsChanged == 0;
  }
}
