package org.kexecsim.input;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * A constant the user names on the command line (a dump format, a kexec type, a workload). Its
 * spelling is its Java name in lower case with '-' for '_' ({@code KDUMP_COMPRESSED} is
 * {@code kdump-compressed}) unless the constant overrides {@link #cliName}, and {@link #find}
 * is the one lookup by that spelling; {@link #parse} is that lookup with the one wording of its
 * refusal ("unknown arch 'x86': expected i386, pae or x86_64"), each type choosing what it calls
 * itself and which exception it throws.
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

  /** The constant of {@code type} spelled {@code spelling}, or {@code refusal} of {@link #unknown}'s sentence. */
  static <E extends Enum<E> & CliNamed> E parse(Class<E> type, String what, String spelling,
      Function<String, ? extends RuntimeException> refusal) {
    return find(type, spelling).orElseThrow(() -> refusal.apply(unknown(type, what, spelling)));
  }

  /** "unknown {@code what} '{@code spelling}': expected a, b or c", listing every constant's spelling. */
  static <E extends Enum<E> & CliNamed> String unknown(Class<E> type, String what, String spelling) {
    List<String> names = Arrays.stream(type.getEnumConstants()).map(CliNamed::cliName).toList();
    String expected = names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    return "unknown " + what + " '" + spelling + "': expected " + expected;
  }
}
