package org.kexecsim.routine;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.kexecsim.elf.ElfSymbolTable;
import org.kexecsim.elf.ElfSymbolTable.Section;
import org.kexecsim.elf.ElfSymbolTable.Symbol;

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
 * <p>Everything read from the file is untrusted: {@link ElfSymbolTable} checks offsets and sizes
 * against the file before use.
 */
public final class ElfRoutine {
  static final int EM_386 = 3;
  static final int EM_X86_64 = 62;
  /** A control page: no relocate routine is larger (KEXEC_CONTROL_PAGE_SIZE). */
  private static final long MAX_ROUTINE = 4096;

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
    try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      MemorySegment bytes = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
      return new Reader(file, ElfSymbolTable.read(file.toString(), bytes, RoutineRejected::new)).read();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(org.kexecsim.files.IoFailure.at(file, e));
    }
  }

  /** relocate_kernel's range, bytes and relocations, found through the file's symbol table. */
  private record Reader(Path file, ElfSymbolTable elf) {
    RoutineRejected bad(String what) {
      return new RoutineRejected(file + ": " + what);
    }

    ElfRoutine read() {
      int machine = elf.machine();
      if (machine != EM_X86_64 && machine != EM_386) {
        throw bad("e_machine " + machine + " is not x86 (3 for i386, 62 for x86-64)");
      }
      List<Section> sections = elf.sections();
      List<Symbol> symbols = elf.symbols();
      Symbol start = find(symbols, "relocate_kernel")
          .orElseThrow(() -> bad("has no symbol relocate_kernel"));
      if (!start.inSection()) {
        throw bad("relocate_kernel is not defined in a section of this file");
      }
      Section text = section(sections, start.shndx(), "relocate_kernel's section");
      if (!text.hasBytes()) {
        throw bad("relocate_kernel lies in a section with no bytes in the file");
      }
      long length;
      String rule;
      var end = find(symbols, "relocate_kernel_end");
      var size = find(symbols, "kexec_control_code_size");
      if (end.isPresent() && end.get().shndx() == start.shndx()) {
        length = end.get().value() - start.value();
        rule = "relocate_kernel .. relocate_kernel_end";
      } else if (size.isPresent() && size.get().absolute()) {
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
      long inSection = elf.relocatable() ? start.value() : start.value() - text.addr();
      if (inSection < 0 || inSection > text.size() || length > text.size() - inSection) {
        throw bad(String.format("relocate_kernel (0x%x, %d bytes) is not inside its section (0x%x, %d bytes)",
            start.value(), length, text.addr(), text.size()));
      }
      byte[] bytes = elf.bytes(text.offset() + inSection, length, "relocate_kernel's bytes").toArray(ValueLayout.JAVA_BYTE);

      List<Relocation> relocs = new ArrayList<>();
      if (elf.relocatable()) {
        for (Section s : sections) {
          if (s.holdsRelocations() && s.info() == text.index()) {
            relocs.addAll(relocations(s, symbols, machine, start, inSection, length));
          }
        }
      }
      OptionalLong link = elf.relocatable() ? OptionalLong.empty() : OptionalLong.of(start.value());
      return new ElfRoutine(file, elf.is64Bit(), machine, bytes, link, relocs, rule);
    }

    private Section section(List<Section> sections, int index, String what) {
      if (index <= 0 || index >= sections.size()) {
        throw bad(what + " names section " + index + ", which does not exist");
      }
      return sections.get(index);
    }

    private List<Relocation> relocations(Section rel, List<Symbol> symbols, int machine,
        Symbol start, long inSection, long length) {
      boolean is64 = elf.is64Bit();
      boolean rela = rel.explicitAddends();
      int entsize = is64 ? (rela ? 24 : 16) : (rela ? 12 : 8);
      if (rel.size() > Integer.MAX_VALUE) {
        throw bad(String.format("a relocation section of %d bytes: no kernel object has one that large", rel.size()));
      }
      ByteBuffer t = elf.bytes(rel.offset(), rel.size(), "a relocation section").asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      List<Relocation> out = new ArrayList<>();
      for (int o = 0; o + entsize <= t.limit(); o += entsize) {
        long offset = is64 ? t.getLong(o) : Integer.toUnsignedLong(t.getInt(o));
        long info = is64 ? t.getLong(o + 8) : Integer.toUnsignedLong(t.getInt(o + 4));
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

    private static java.util.Optional<Symbol> find(List<Symbol> symbols, String name) {
      return symbols.stream().filter(s -> s.name().equals(name)).findFirst();
    }
  }
}
