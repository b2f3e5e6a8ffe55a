package org.kexecsim.analyzer.symbols;

/**
 * One symbol.
 *
 * @param type the nm(1) letter: T/t text, D/d data, B/b bss, R/r read-only, A/a absolute, W/w
 *     weak, V/v weak object; upper case is global
 * @param size bytes, or 0 when the source does not say (System.map and kallsyms never do)
 */
public record Symbol(String name, long address, char type, long size) {
  /** An absolute symbol is a number, not a place: it neither moves with KASLR nor names addresses. */
  public boolean absolute() {
    return type == 'A' || type == 'a';
  }

  public boolean global() {
    return Character.isUpperCase(type);
  }
}
