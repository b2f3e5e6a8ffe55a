package org.kexecsim.input;

import java.util.Locale;
import java.util.Optional;

/**
 * A constant the user names on the command line (a dump format, a kexec type, a workload). Its
 * spelling is its Java name in lower case with '-' for '_' ({@code KDUMP_COMPRESSED} is
 * {@code kdump-compressed}) unless the constant overrides {@link #cliName}, and {@link #find}
 * is the one lookup by that spelling; each type words its own "unknown ..." refusal.
 */
public interface CliNamed {
  /** The constant's Java name ({@link Enum#name}). */
  String name();

  /** How the command line and the reports spell this constant. */
  default String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The constant of {@code type} spelled {@code spelling}, if there is one. */
  static <E extends Enum<E> & CliNamed> Optional<E> find(Class<E> type, String spelling) {
    for (E e : type.getEnumConstants()) {
      if (e.cliName().equals(spelling)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
