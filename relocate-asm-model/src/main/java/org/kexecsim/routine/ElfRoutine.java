package org.kexecsim.routine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The bytes of relocate_kernel taken from an ELF file with symbols: a vmlinux (ET_EXEC) or the
 * relocate_kernel_{32,64}.o it was linked from (ET_REL), ELF32 or ELF64, little-endian x86.
 *
 * <p>The range is what machine_kexec copies: from {@code relocate_kernel} to
 * {@code relocate_kernel_end} (2.6.x–4.x kernels end the file with that label) or to
 * {@code relocate_kernel + kexec_control_code_size}, the absolute symbol later kernels define
 * with {@code .set kexec_control_code_size, . - relocate_kernel} (arch/x86/kernel/
 * relocate_kernel_{32,64}.S; machine_kexec_{32,64}.c check it against
 * KEXEC_CONTROL_CODE_MAX_SIZE). Relocations of a .o against its own section are applied when the
 * routine is placed ({@link #bytesAt}); anything else in the range is refused.
 *
 * <p>Everything read from the file is untrusted: offsets and sizes are checked against the file
 * before use, and the symbol table is read in bounded pieces.
 */
public final class ElfRoutine {
  static final int ET_REL = 1;
  static final int EM_386 = 3;
  static final int EM_X86_64 = 62;
  private static final int SHT_SYMTAB = 2;
  private static final int SHT_RELA = 4;
  private static final int SHT_NOBITS = 8;
  private static final int SHT_REL = 9;
  private static final int SHN_UNDEF = 0;
  private static final int SHN_LORESERVE = 0xff00;
  private static final int SHN_ABS = 0xfff1;
  /** A control page: no relocate routine is larger (KEXEC_CONTROL_PAGE_SIZE). */
  private static final long MAX_ROUTINE = 4096;
  /** Symbol tables above this are not a kernel's (a 6.x vmlinux has ~10 MiB). */
  private static final long MAX_TABLE = 256L << 20;

  private final Path file;
  private final boolean is64;
  private final int machine;
  private final byte[] code;
  private final OptionalLong linkVirtual;
  private final List<Relocation> relocations;
  private final String rangeRule;

  /** One relocation inside the range: where (offset in the code), what kind, and its target's offset in the code. */
  record Relocation(int offset, int type, long targetOffset, long addend, boolean rela) {}

  private ElfRoutine(Path file, boolean is64, int machine, byte[] code, OptionalLong linkVirtual,
      List<Relocation> relocations, String rangeRule) {
    this.file = file;
    this.is64 = is64;
    this.machine = machine;
    this.code = code;
    this.linkVirtual = linkVirtual;
    this.relocations = List.copyOf(relocations);
    this.rangeRule = rangeRule;
  }

  /** Whether the first bytes are ELF's magic. */
  public static boolean isElf(byte[] head) {
    return head.length >= 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
  }

  public boolean is64Bit() {
    return is64;
  }

  /** Where the routine was linked (a vmlinux); empty for a .o. */
  public OptionalLong linkVirtual() {
    return linkVirtual;
  }

  public int size() {
    return code.length;
  }

  /** How the end of the range was found, for the report. */
  public String rangeRule() {
    return rangeRule;
  }

  public int relocationCount() {
    return relocations.size();
  }

  /** The bytes as they run at {@code virtual}: a .o's relocations resolved against that address. */
  public byte[] bytesAt(long virtual) {
    byte[] out = code.clone();
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    for (Relocation r : relocations) {
      long s = virtual + r.targetOffset();
      long p = virtual + r.offset();
      long a = r.rela() ? r.addend() : implicitAddend(b, r);
      long value;
      int width;
      switch (machine == EM_X86_64 ? "64:" + r.type() : "32:" + r.type()) {
        // x86-64 psABI §4.4: R_X86_64_64 S+A, PC32/PLT32 S+A-P, 32 / 32S S+A truncated
        case "64:1" -> { value = s + a; width = 8; }
        case "64:2", "64:4" -> { value = s + a - p; width = 4; }
        case "64:10", "64:11" -> { value = s + a; width = 4; }
        // i386 psABI: R_386_32 S+A, R_386_PC32 / PLT32 S+A-P
        case "32:1" -> { value = s + a; width = 4; }
        case "32:2", "32:4" -> { value = s + a - p; width = 4; }
        default -> throw new IllegalStateException("relocation type checked at read: " + r.type());
      }
      if (width == 8) {
        b.putLong(r.offset(), value);
      } else {
        b.putInt(r.offset(), (int) value);
      }
    }
    return out;
  }

  private static long implicitAddend(ByteBuffer b, Relocation r) {
    return b.getInt(r.offset());
  }

  public static ElfRoutine read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return new Reader(file, ch).read();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(org.kexecsim.files.IoFailure.at(file, e));
    }
  }

  /** One pass over the headers, the symbol table and the code section. */
  private static final class Reader {
    final Path file;
    final FileChannel ch;
    final long fileSize;
    boolean is64;

    Reader(Path file, FileChannel ch) throws IOException {
      this.file = file;
      this.ch = ch;
      this.fileSize = ch.size();
    }

    RoutineRejected bad(String what) {
      return new RoutineRejected(file + ": " + what);
    }

    ByteBuffer at(long offset, long length, String what) throws IOException {
      if (offset < 0 || length < 0 || length > MAX_TABLE || offset > fileSize || length > fileSize - offset) {
        throw bad(String.format("%s at offset 0x%x, %d bytes, lies outside the %d-byte file", what, offset, length, fileSize));
      }
      ByteBuffer b = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          throw bad(what + " is cut short by the end of the file");
        }
      }
      return b.flip();
    }

    record Section(int index, int name, int type, long addr, long offset, long size, int link, int info, long entsize) {}

    record Symbol(String name, long value, long size, int shndx) {}

    ElfRoutine read() throws IOException {
      ByteBuffer h = at(0, Math.min(64, fileSize), "the ELF header");
      if (h.limit() < 52) {
        throw bad("too short for an ELF header");
      }
      int cls = h.get(4);
      if (cls != 1 && cls != 2) {
        throw bad("ELF class " + cls + " is neither ELF32 nor ELF64");
      }
      is64 = cls == 2;
      if (h.get(5) != 1) {
        throw bad("big-endian ELF: not an x86 file");
      }
      if (is64 && h.limit() < 64) {
        throw bad("too short for an ELF64 header");
      }
      int type = Short.toUnsignedInt(h.getShort(16));
      int machine = Short.toUnsignedInt(h.getShort(18));
      if (machine != EM_X86_64 && machine != EM_386) {
        throw bad("e_machine " + machine + " is not x86 (3 for i386, 62 for x86-64)");
      }
      long shoff = is64 ? h.getLong(40) : Integer.toUnsignedLong(h.getInt(32));
      int shentsize = Short.toUnsignedInt(h.getShort(is64 ? 58 : 46));
      int shnum = Short.toUnsignedInt(h.getShort(is64 ? 60 : 48));
      if (shnum == 0 || shentsize < (is64 ? 64 : 40)) {
        throw bad("no section headers (a stripped or packed file has no symbols to find relocate_kernel by)");
      }
      ByteBuffer shdrs = at(shoff, (long) shnum * shentsize, "the section header table");
      List<Section> sections = new ArrayList<>();
      for (int i = 0; i < shnum; i++) {
        int o = i * shentsize;
        sections.add(is64
            ? new Section(i, shdrs.getInt(o), shdrs.getInt(o + 4), shdrs.getLong(o + 16), shdrs.getLong(o + 24),
                shdrs.getLong(o + 32), shdrs.getInt(o + 40), shdrs.getInt(o + 44), shdrs.getLong(o + 56))
            : new Section(i, shdrs.getInt(o), shdrs.getInt(o + 4), u32(shdrs, o + 12), u32(shdrs, o + 16),
                u32(shdrs, o + 20), shdrs.getInt(o + 24), shdrs.getInt(o + 28), u32(shdrs, o + 36)));
      }
      Section symtab = sections.stream().filter(s -> s.type() == SHT_SYMTAB).findFirst()
          .orElseThrow(() -> bad("has no symbol table (.symtab): use the unstripped vmlinux, e.g. from linux-image-*-dbg"));
      List<Symbol> symbols = symbols(symtab, section(sections, symtab.link(), "the symbol table's string table"));

      Symbol start = find(symbols, "relocate_kernel")
          .orElseThrow(() -> bad("has no symbol relocate_kernel"));
      if (start.shndx() == SHN_UNDEF || start.shndx() >= SHN_LORESERVE) {
        throw bad("relocate_kernel is not defined in a section of this file");
      }
      Section text = section(sections, start.shndx(), "relocate_kernel's section");
      if (text.type() == SHT_NOBITS) {
        throw bad("relocate_kernel lies in a section with no bytes in the file");
      }
      long length;
      String rule;
      var end = find(symbols, "relocate_kernel_end");
      var size = find(symbols, "kexec_control_code_size");
      if (end.isPresent() && end.get().shndx() == start.shndx()) {
        length = end.get().value() - start.value();
        rule = "relocate_kernel .. relocate_kernel_end";
      } else if (size.isPresent() && size.get().shndx() == SHN_ABS) {
        length = size.get().value();
        rule = "relocate_kernel + kexec_control_code_size";
      } else if (start.size() > 0) {
        length = start.size();
        rule = "relocate_kernel's symbol size";
      } else {
        throw bad("has neither relocate_kernel_end nor an absolute kexec_control_code_size to end relocate_kernel with");
      }
      if (length <= 0 || length > MAX_ROUTINE) {
        throw bad(String.format("relocate_kernel is %d bytes by %s: not 1..%d, the control page", length, rule, MAX_ROUTINE));
      }
      long inSection = type == ET_REL ? start.value() : start.value() - text.addr();
      if (inSection < 0 || inSection > text.size() || length > text.size() - inSection) {
        throw bad(String.format("relocate_kernel (0x%x, %d bytes) is not inside its section (0x%x, %d bytes)",
            start.value(), length, text.addr(), text.size()));
      }
      ByteBuffer code = at(text.offset() + inSection, length, "relocate_kernel's bytes");
      byte[] bytes = new byte[(int) length];
      code.get(bytes);

      List<Relocation> relocs = new ArrayList<>();
      if (type == ET_REL) {
        for (Section s : sections) {
          if ((s.type() == SHT_RELA || s.type() == SHT_REL) && s.info() == text.index()) {
            relocs.addAll(relocations(s, symbols, sections, machine, start, inSection, length));
          }
        }
      }
      OptionalLong link = type == ET_REL ? OptionalLong.empty() : OptionalLong.of(start.value());
      return new ElfRoutine(file, is64, machine, bytes, link, relocs, rule);
    }

    private Section section(List<Section> sections, int index, String what) {
      if (index <= 0 || index >= sections.size()) {
        throw bad(what + " names section " + index + ", which does not exist");
      }
      return sections.get(index);
    }

    private List<Symbol> symbols(Section symtab, Section strtab) throws IOException {
      int entsize = is64 ? 24 : 16;
      if (symtab.size() % entsize != 0) {
        throw bad(String.format("the symbol table's size %d is not a multiple of %d", symtab.size(), entsize));
      }
      ByteBuffer t = at(symtab.offset(), symtab.size(), "the symbol table");
      ByteBuffer str = at(strtab.offset(), strtab.size(), "the symbol string table");
      List<Symbol> out = new ArrayList<>();
      for (int o = 0; o + entsize <= t.limit(); o += entsize) {
        int name = t.getInt(o);
        long value = is64 ? t.getLong(o + 8) : u32(t, o + 4);
        long size = is64 ? t.getLong(o + 16) : u32(t, o + 8);
        int shndx = Short.toUnsignedInt(t.getShort(is64 ? o + 6 : o + 14));
        out.add(new Symbol(string(str, name), value, size, shndx));
      }
      return out;
    }

    private List<Relocation> relocations(Section rel, List<Symbol> symbols, List<Section> sections, int machine,
        Symbol start, long inSection, long length) throws IOException {
      boolean rela = rel.type() == SHT_RELA;
      int entsize = is64 ? (rela ? 24 : 16) : (rela ? 12 : 8);
      ByteBuffer t = at(rel.offset(), rel.size(), "a relocation section");
      List<Relocation> out = new ArrayList<>();
      for (int o = 0; o + entsize <= t.limit(); o += entsize) {
        long offset = is64 ? t.getLong(o) : u32(t, o);
        long info = is64 ? t.getLong(o + 8) : u32(t, o + 4);
        long addend = rela ? (is64 ? t.getLong(o + 16) : t.getInt(o + 8)) : 0;
        int symIndex = (int) (is64 ? info >>> 32 : info >>> 8);
        int rtype = (int) (is64 ? info & 0xFFFFFFFFL : info & 0xFF);
        if (offset < inSection || offset >= inSection + length) {
          continue;
        }
        int at = (int) (offset - inSection);
        if (symIndex <= 0 || symIndex >= symbols.size()) {
          throw bad(String.format("relocation at relocate_kernel+0x%x names symbol %d, which does not exist", at, symIndex));
        }
        Symbol target = symbols.get(symIndex);
        if (target.shndx() != start.shndx()) {
          throw bad(String.format("relocation at relocate_kernel+0x%x refers to %s outside relocate_kernel's section: "
              + "link the routine first", at, target.name().isEmpty() ? "a section symbol" : target.name()));
        }
        boolean known = machine == EM_X86_64 ? (rtype == 1 || rtype == 2 || rtype == 4 || rtype == 10 || rtype == 11)
            : (rtype == 1 || rtype == 2 || rtype == 4);
        int width = machine == EM_X86_64 && rtype == 1 ? 8 : 4;
        if (!known || at + width > length) {
          throw bad(String.format("relocation type %d at relocate_kernel+0x%x is not one the model applies", rtype, at));
        }
        out.add(new Relocation(at, rtype, target.value() - start.value(), addend, rela));
      }
      return out;
    }

    private String string(ByteBuffer str, int offset) {
      if (offset < 0 || offset >= str.limit()) {
        return "";
      }
      int end = offset;
      while (end < str.limit() && str.get(end) != 0) {
        end++;
      }
      byte[] b = new byte[end - offset];
      str.get(offset, b);
      return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static java.util.Optional<Symbol> find(List<Symbol> symbols, String name) {
      return symbols.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    private static long u32(ByteBuffer b, int o) {
      return Integer.toUnsignedLong(b.getInt(o));
    }
  }
}
