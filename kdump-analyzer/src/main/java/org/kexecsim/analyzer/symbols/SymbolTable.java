package org.kexecsim.analyzer.symbols;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

/**
 * Symbols by name and by address. By name, a global symbol wins over a local one of the same name
 * (System.map repeats static names such as {@code __func__.0}), else the first listed. By address,
 * only symbols {@code nameable} accepts name places (not absolute ones, not per-CPU offsets), and an
 * address is named after the nearest such symbol at or below it, provided a named symbol lies
 * above it too: past the last symbol ({@code _end}) there is no telling what an address is.
 */
public final class SymbolTable {
  private final Map<String, Symbol> byName;
  private final long[] addresses;
  private final String[] names;
  private final long[] reach;
  private final int count;

  private SymbolTable(Map<String, Symbol> byName, long[] addresses, String[] names, long[] reach, int count) {
    this.byName = byName;
    this.addresses = addresses;
    this.names = names;
    this.reach = reach;
    this.count = count;
  }

  public static SymbolTable of(List<Symbol> symbols, LongPredicate nameable) {
    return of(symbols, nameable, s -> Long.MAX_VALUE);
  }

  /**
   * @param reach how far past each symbol an address is still named after it: a complete list
   *     (System.map) names every byte up to the next symbol, a sparse one (VMCOREINFO's few
   *     SYMBOL lines) must not call the whole kernel "_stext+0x1161900"
   */
  public static SymbolTable of(List<Symbol> symbols, LongPredicate nameable, java.util.function.ToLongFunction<Symbol> reach) {
    Map<String, Symbol> byName = new HashMap<>();
    for (Symbol s : symbols) {
      Symbol had = byName.get(s.name());
      if (had == null || (!had.global() && s.global())) {
        byName.put(s.name(), s);
      }
    }
    List<Symbol> places = new ArrayList<>();
    for (Symbol s : symbols) {
      if (!s.absolute() && nameable.test(s.address())) {
        places.add(s);
      }
    }
    // Unsigned order; at one address the preferred name first: global, fewer leading '_', shorter.
    places.sort(Comparator.<Symbol>comparingLong(s -> s.address() ^ Long.MIN_VALUE)
        .thenComparing(s -> !s.global())
        .thenComparingInt(SymbolTable::underscores)
        .thenComparingInt(s -> s.name().length()));
    long[] a = new long[places.size()];
    String[] n = new String[places.size()];
    long[] r = new long[places.size()];
    int k = 0;
    for (Symbol s : places) {
      if (k > 0 && a[k - 1] == s.address()) {
        continue;
      }
      a[k] = s.address();
      n[k] = s.name();
      r[k] = reach.applyAsLong(s);
      k++;
    }
    return new SymbolTable(byName, java.util.Arrays.copyOf(a, k), java.util.Arrays.copyOf(n, k), java.util.Arrays.copyOf(r, k), byName.size());
  }

  private static int underscores(Symbol s) {
    int i = 0;
    while (i < s.name().length() && s.name().charAt(i) == '_') {
      i++;
    }
    return i;
  }

  public Optional<Symbol> symbol(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public OptionalLong address(String name) {
    Symbol s = byName.get(name);
    return s == null ? OptionalLong.empty() : OptionalLong.of(s.address());
  }

  /** How many distinct names. */
  public int size() {
    return count;
  }

  /** "name" or "name+0xoff" for {@code address}, when a named symbol lies at or below and one above (or at). */
  public Optional<String> nameAt(long address) {
    int lo = 0;
    int hi = addresses.length - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(addresses[mid], address) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) {
      return Optional.empty();
    }
    long off = address - addresses[found];
    if (off == 0) {
      return Optional.of(names[found]);
    }
    // past the last symbol of a complete list nothing is known; a bounded symbol names its own reach
    if (Long.compareUnsigned(off, reach[found]) >= 0 || (found == addresses.length - 1 && reach[found] == Long.MAX_VALUE)) {
      return Optional.empty();
    }
    return Optional.of(names[found] + "+0x" + Long.toHexString(off));
  }

  /** The lowest and highest nameable addresses, or empty when none. */
  public Optional<long[]> bounds() {
    return addresses.length == 0 ? Optional.empty() : Optional.of(new long[] {addresses[0], addresses[addresses.length - 1]});
  }
}
