package org.kexecsim.analyzer.symbols;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.elf.ElfSymbolTable;

/**
 * A symbol file that is ELF, listed as nm(1) lists it: section and file symbols (STT_SECTION 3,
 * STT_FILE 4), undefined ones (st_shndx 0) and nameless ones are left out; st_shndx SHN_ABS
 * (0xfff1) is an absolute symbol. The table itself is read by {@link ElfSymbolTable}.
 */
final class ElfSymbols {
  private ElfSymbols() {}

  static List<Symbol> read(String name, MemorySegment file) {
    ElfSymbolTable table = ElfSymbolTable.read(name, file, SymbolFileException::new);
    List<Symbol> out = new ArrayList<>();
    List<ElfSymbolTable.Symbol> all = table.symbols();
    for (int i = 1; i < all.size(); i++) { // entry 0 is the null symbol
      ElfSymbolTable.Symbol s = all.get(i);
      int type = s.type();
      if (type == 3 || type == 4 || s.shndx() == 0 || s.nameOffset() == 0) {
        continue;
      }
      if (!table.nameInTable(s)) {
        throw table.bad(table.symbolOffset(i), String.format("symbol name offset 0x%x is outside the string table (0x%x bytes)",
            s.nameOffset(), table.stringTableSize()));
      }
      if (s.name().isEmpty()) {
        continue;
      }
      boolean code = type == 2; // STT_FUNC: text; objects and the rest: data
      char letter = s.absolute() ? 'a' : code ? 't' : 'd';
      if (s.bind() == 2) {
        letter = code ? 'w' : 'v'; // STB_WEAK
      }
      out.add(new Symbol(s.name(), s.value(), s.bind() == 0 ? letter : Character.toUpperCase(letter), s.size()));
    }
    if (out.isEmpty()) {
      throw table.bad(table.symbolOffset(0), "the symbol table holds no defined symbols");
    }
    return out;
  }
}
