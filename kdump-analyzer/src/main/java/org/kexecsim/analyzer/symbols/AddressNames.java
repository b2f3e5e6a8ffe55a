package org.kexecsim.analyzer.symbols;

import java.util.Optional;

/**
 * Names of addresses for reports: {@code linux_banner} or {@code init_top_pgt+0x800}, where a
 * symbol is known. {@link #NONE} knows none, so reports print exactly what they did without symbols.
 */
public interface AddressNames {
  /** The symbol at or just below virtual address {@code va}, inside the kernel image. */
  Optional<String> at(long va);

  /** The symbol whose kernel-image address maps physical {@code pa} (the kernel text mapping). */
  Optional<String> atPhysical(long pa);

  AddressNames NONE = new AddressNames() {
    @Override
    public Optional<String> at(long va) {
      return Optional.empty();
    }

    @Override
    public Optional<String> atPhysical(long pa) {
      return Optional.empty();
    }
  };

  /** " (name)" for text output, or "" when unnamed. */
  static String suffix(Optional<String> name) {
    return name.map(n -> " (" + n + ")").orElse("");
  }
}
