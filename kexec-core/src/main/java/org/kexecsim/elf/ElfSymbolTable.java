package org.kexecsim.elf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The section headers and the symbol table of a little-endian ELF32 or ELF64 file (gABI
 * "ELF Header", "Sections", "Symbol Table"): the one ELF symbol reader, used for {@code --symbols}
 * (a vmlinux's names) and for {@code --routine} (relocate_kernel's bytes in a vmlinux or .o).
 * The table is SHT_SYMTAB, else SHT_DYNSYM; its strings are the section its sh_link names.
 *
 * <p>Every offset and size comes from the file and is checked against it before use. A problem
 * is one line, {@code NAME: offset 0x...: what}, made into the caller's own exception type by
 * {@code reject}. The table holds {@code file}: it is valid while the caller's mapping is.
 *
 * @param is64Bit ELFCLASS64
 * @param fileType e_type: ET_REL 1 for a .o, ET_EXEC 2 for a vmlinux
 * @param machine e_machine: EM_386 3, EM_X86_64 62
 * @param symbols every entry of the symbol table in table order (entry 0 is the null symbol):
 *     a relocation names a symbol by its index here
 */
public record ElfSymbolTable(String name, MemorySegment file, Function<String, ? extends RuntimeException> reject,
    boolean is64Bit, int fileType, int machine, List<Section> sections, List<Symbol> symbols, long symbolsAt, long stringTableSize) {

  /** e_type ET_REL: a relocatable object, whose symbol values are offsets in their sections. */
  public boolean relocatable() {
    return fileType == 1;
  }

  /** A section header (Elf32_Shdr / Elf64_Shdr), by its index in the table. */
  public record Section(int index, int type, long addr, long offset, long size, int link, int info) {
    /** Not SHT_NOBITS (8, .bss): its bytes are in the file. */
    public boolean hasBytes() {
      return type != 8;
    }

    /** SHT_RELA 4 (explicit addends) or SHT_REL 9 (addends in the bytes): relocations of section {@code info}. */
    public boolean holdsRelocations() {
      return type == 4 || type == 9;
    }

    public boolean explicitAddends() {
      return type == 4;
    }
  }

  /**
   * A symbol table entry. {@code name} is empty when {@code nameOffset} is 0 or lies outside the
   * string table ({@link ElfSymbolTable#nameInTable} tells).
   */
  public record Symbol(String name, long nameOffset, long value, long size, int info, int shndx) {
    /** STT_*: the low four bits of st_info (STT_FUNC 2, STT_SECTION 3, STT_FILE 4). */
    public int type() {
      return info & 0xf;
    }

    /** STB_*: the high four bits of st_info (0 local, 1 global, 2 weak). */
    public int bind() {
      return info >>> 4;
    }

    /** st_shndx is a section of the file: neither SHN_UNDEF 0 nor a reserved index (0xff00 and up). */
    public boolean inSection() {
      return shndx != 0 && shndx < 0xff00;
    }

    /** st_shndx SHN_ABS 0xfff1: the value is a number, not an address in a section. */
    public boolean absolute() {
      return shndx == 0xfff1;
    }
  }

  /**
   * Reads the headers and the symbol table of {@code file}, named {@code name} in messages;
   * {@code reject} makes a problem's line into the exception thrown.
   */
  public static ElfSymbolTable read(String name, MemorySegment file, Function<String, ? extends RuntimeException> reject) {
    return new Parser(name, file, reject).parse();
  }

  /** Where entry {@code index} of the symbol table lies in the file (index 0: the table itself). */
  public long symbolOffset(int index) {
    return symbolsAt + (long) index * (is64Bit ? 24 : 16);
  }

  /** Whether a symbol's name offset lies inside the string table (a corrupt table's may not). */
  public boolean nameInTable(Symbol s) {
    return s.nameOffset() < stringTableSize;
  }

  /** {@code length} bytes at {@code offset}, checked to lie in the file. */
  public MemorySegment bytes(long offset, long length, String what) {
    new Parser(name, file, reject).need(offset, length, what);
    return file.asSlice(offset, length);
  }

  /** The caller's exception for a problem at {@code offset} of this file. */
  public RuntimeException bad(long offset, String problem) {
    return new Parser(name, file, reject).bad(offset, problem);
  }

  /** One pass over the ELF header, the section headers and the symbol table. */
  private static final class Parser {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNSYM = 11;
    /** No kernel symbol is longer; a longer name is cut here rather than read without end. */
    private static final int MAX_NAME = 512;
    private final String name;
    private final MemorySegment file;
    private final ElfFields in;
    private final Function<String, ? extends RuntimeException> reject;

    Parser(String name, MemorySegment file, Function<String, ? extends RuntimeException> reject) {
      this.name = name;
      this.file = file;
      this.in = new ElfFields(file);
      this.reject = reject;
    }

    ElfSymbolTable parse() {
      need(0, 52, "the ELF header");
      int cls = in.u8(4);
      if (cls != 1 && cls != 2) {
        throw bad(4, "e_ident[EI_CLASS] " + cls + " is neither ELFCLASS32 nor ELFCLASS64");
      }
      if (in.u8(5) != 1) {
        throw bad(5, "only little-endian ELF files are read");
      }
      boolean is64 = cls == 2;
      need(0, is64 ? 64 : 52, "the ELF header");
      long shoff = is64 ? in.u64(0x28) : in.u32(0x20);
      int shentsize = in.u16(is64 ? 0x3a : 0x2e);
      int shnum = in.u16(is64 ? 0x3c : 0x30);
      if (shoff == 0 || shnum == 0) {
        throw bad(is64 ? 0x28 : 0x20, "no section headers: a stripped file has no symbols (use the vmlinux of the -dbg package)");
      }
      if (shentsize < (is64 ? 64 : 40)) {
        throw bad(is64 ? 0x3a : 0x2e, "e_shentsize " + shentsize + " is smaller than a section header");
      }
      need(shoff, (long) shnum * shentsize, "the section header table");
      List<Section> sections = new ArrayList<>();
      for (int i = 0; i < shnum; i++) {
        long o = shoff + (long) i * shentsize;
        sections.add(is64
            ? new Section(i, (int) in.u32(o + 4), in.u64(o + 16), in.u64(o + 24), in.u64(o + 32),
                (int) in.u32(o + 40), (int) in.u32(o + 44))
            : new Section(i, (int) in.u32(o + 4), in.u32(o + 12), in.u32(o + 16), in.u32(o + 20), (int) in.u32(o + 24), (int) in.u32(o + 28)));
      }
      Section symtab = sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst()
          .or(() -> sections.stream().filter(s -> s.type() == SHT_DYNSYM).findFirst())
          .orElseThrow(() -> bad(shoff, "no symbol table (.symtab): a stripped file; use the unstripped vmlinux of the -dbg package"));
      if (symtab.link() <= 0 || symtab.link() >= shnum) {
        throw bad(shoff + (long) symtab.index() * shentsize, "the symbol table's sh_link " + Integer.toUnsignedString(symtab.link()) + " names no section");
      }
      Section strtab = sections.get(symtab.link());
      need(symtab.offset(), symtab.size(), "the symbol table");
      need(strtab.offset(), strtab.size(), "the symbol string table");
      long entsize = is64 ? 24 : 16;
      List<Symbol> symbols = new ArrayList<>();
      for (long at = symtab.offset(); at + entsize <= symtab.offset() + symtab.size(); at += entsize) {
        long nameOff = in.u32(at);
        String symName = nameOff == 0 || nameOff >= strtab.size() ? ""
            : string(strtab.offset() + nameOff, Math.min(strtab.size() - nameOff, MAX_NAME));
        symbols.add(is64
            ? new Symbol(symName, nameOff, in.u64(at + 8), in.u64(at + 16), in.u8(at + 4), in.u16(at + 6))
            : new Symbol(symName, nameOff, in.u32(at + 4), in.u32(at + 8), in.u8(at + 12), in.u16(at + 14)));
      }
      return new ElfSymbolTable(name, file, reject, is64, in.u16(16), in.u16(18), List.copyOf(sections), List.copyOf(symbols),
          symtab.offset(), strtab.size());
    }

    private String string(long at, long max) {
      int len = 0;
      while (len < max && file.get(ValueLayout.JAVA_BYTE, at + len) != 0) {
        len++;
      }
      return new String(file.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1);
    }

    void need(long offset, long length, String what) {
      long fileSize = file.byteSize();
      if (offset < 0 || length < 0 || offset > fileSize || length > fileSize - offset) {
        throw bad(offset, String.format("%s (0x%x bytes at 0x%x) extends past the end of the file (0x%x bytes)", what, length, offset, fileSize));
      }
    }

    RuntimeException bad(long offset, String problem) {
      return reject.apply(String.format("%s: offset 0x%x: %s", name, offset, problem));
    }
  }
}
