package org.kexecsim.analyzer.symbols;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The symbol table of an ELF file (gABI "Sections" and "Symbol Table"): the section headers, the
 * SHT_SYMTAB section (SHT_DYNSYM when there is none) and the string table its sh_link names.
 * Every offset and size comes from the file and is checked against it before use. Section and
 * file symbols (STT_SECTION 3, STT_FILE 4), undefined ones (st_shndx 0) and nameless ones are
 * left out, as nm(1) lists them; st_shndx SHN_ABS (0xfff1) is an absolute symbol.
 */
final class ElfSymbols {
  static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final int SHT_SYMTAB = 2;
  private static final int SHT_DYNSYM = 11;
  private static final int SHN_ABS = 0xfff1;
  private static final int MAX_NAME = 512;

  private final String name;
  private final MemorySegment file;
  private final long size;

  private ElfSymbols(String name, MemorySegment file) {
    this.name = name;
    this.file = file;
    this.size = file.byteSize();
  }

  static List<Symbol> read(String name, MemorySegment file) {
    return new ElfSymbols(name, file).symbols();
  }

  private List<Symbol> symbols() {
    need(0, 52, "the ELF header");
    int cls = u8(4);
    if (cls != 1 && cls != 2) {
      throw bad(4, "e_ident[EI_CLASS] " + cls + " is neither ELFCLASS32 nor ELFCLASS64");
    }
    if (u8(5) != 1) {
      throw bad(5, "only little-endian ELF files are read");
    }
    boolean is64 = cls == 2;
    need(0, is64 ? 64 : 52, "the ELF header");
    long shoff = is64 ? file.get(U64, 0x28) : u32(0x20);
    int shentsize = u16(is64 ? 0x3a : 0x2e);
    int shnum = u16(is64 ? 0x3c : 0x30);
    if (shoff == 0 || shnum == 0) {
      throw bad(is64 ? 0x28 : 0x20, "no section headers: a stripped file has no symbols (use the vmlinux of the -dbg package)");
    }
    if (shentsize < (is64 ? 64 : 40)) {
      throw bad(is64 ? 0x3a : 0x2e, "e_shentsize " + shentsize + " is smaller than a section header");
    }
    need(shoff, (long) shnum * shentsize, "the section header table");
    long symtab = -1;
    for (int type : new int[] {SHT_SYMTAB, SHT_DYNSYM}) {
      for (int i = 0; i < shnum && symtab < 0; i++) {
        if (u32(shoff + (long) i * shentsize + 4) == type) {
          symtab = shoff + (long) i * shentsize;
        }
      }
    }
    if (symtab < 0) {
      throw bad(shoff, "no symbol table (.symtab): a stripped file; use the unstripped vmlinux of the -dbg package");
    }
    long symOff = is64 ? file.get(U64, symtab + 24) : u32(symtab + 16);
    long symSize = is64 ? file.get(U64, symtab + 32) : u32(symtab + 20);
    long link = u32(symtab + 40 - (is64 ? 0 : 16));
    long entsize = is64 ? 24 : 16;
    if (link <= 0 || link >= shnum) {
      throw bad(symtab, "the symbol table's sh_link " + link + " names no section");
    }
    long strtab = shoff + link * shentsize;
    long strOff = is64 ? file.get(U64, strtab + 24) : u32(strtab + 16);
    long strSize = is64 ? file.get(U64, strtab + 32) : u32(strtab + 20);
    need(symOff, symSize, "the symbol table");
    need(strOff, strSize, "the symbol string table");
    List<Symbol> out = new ArrayList<>();
    for (long at = symOff + entsize; at + entsize <= symOff + symSize; at += entsize) { // entry 0 is the null symbol
      long nameOff = u32(at);
      long value;
      long symSizeField;
      int info;
      int shndx;
      if (is64) {
        info = u8(at + 4);
        shndx = u16(at + 6);
        value = file.get(U64, at + 8);
        symSizeField = file.get(U64, at + 16);
      } else {
        value = u32(at + 4);
        symSizeField = u32(at + 8);
        info = u8(at + 12);
        shndx = u16(at + 14);
      }
      int type = info & 0xf;
      int bind = info >>> 4;
      if (type == 3 || type == 4 || shndx == 0 || nameOff == 0) {
        continue;
      }
      if (nameOff >= strSize) {
        throw bad(at, String.format("symbol name offset 0x%x is outside the string table (0x%x bytes)", nameOff, strSize));
      }
      String symName = string(strOff + nameOff, Math.min(strSize - nameOff, MAX_NAME));
      if (symName.isEmpty()) {
        continue;
      }
      char letter = shndx == SHN_ABS ? 'a' : type == 2 ? 't' : 'd'; // STT_FUNC 2: text; objects and the rest: data
      if (bind == 2) {
        letter = type == 2 ? 'w' : 'v'; // STB_WEAK
      }
      out.add(new Symbol(symName, value, bind == 0 ? letter : Character.toUpperCase(letter), symSizeField));
    }
    if (out.isEmpty()) {
      throw bad(symOff, "the symbol table holds no defined symbols");
    }
    return out;
  }

  private String string(long at, long max) {
    int len = 0;
    while (len < max && file.get(ValueLayout.JAVA_BYTE, at + len) != 0) {
      len++;
    }
    return new String(file.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
  }

  private void need(long offset, long length, String what) {
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      throw bad(offset, String.format("%s (0x%x bytes at 0x%x) extends past the end of the file (0x%x bytes)", what, length, offset, size));
    }
  }

  private int u8(long at) {
    return file.get(ValueLayout.JAVA_BYTE, at) & 0xff;
  }

  private int u16(long at) {
    return file.get(U16, at) & 0xffff;
  }

  private long u32(long at) {
    return file.get(U32, at) & 0xffff_ffffL;
  }

  private SymbolFileException bad(long offset, String problem) {
    return new SymbolFileException(String.format("%s: offset 0x%x: %s", name, offset, problem));
  }
}
