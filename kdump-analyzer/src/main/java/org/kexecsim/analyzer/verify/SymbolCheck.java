package org.kexecsim.analyzer.verify;

import java.util.OptionalLong;

/**
 * A VMCOREINFO symbol translated through a root in a single image: the kernel's own variables
 * must be mapped, and its root table's symbol must map to the root itself.
 *
 * @param expected the physical address it must reach, when known (the root table's symbol)
 * @param physical where it translated, empty when it did not
 * @param problem why it fails, empty when it passes
 */
public record SymbolCheck(String symbol, long virtual, OptionalLong expected, OptionalLong physical, String problem) {
  public boolean ok() {
    return problem.isEmpty();
  }
}
