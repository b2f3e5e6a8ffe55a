package org.kexecsim.analyzer.symbols;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the symbols of a file, by what it is: an ELF file (first bytes {@code \x7fELF}: a vmlinux
 * or a .o, read through its .symtab, see {@link ElfSymbols}), else text in the format the kernel's
 * scripts/mksysmap writes System.map in and /proc/kallsyms prints
 * (kernel/kallsyms.c s_show: {@code "%px %c %s"}, then {@code "\t[%s]"} for a module's symbol):
 * one symbol a line, {@code ADDRESS TYPE NAME [[MODULE]]}, the address in hex without 0x.
 */
public final class SymbolFile {
  /** No symbol line is this long; a longer one is not a symbol file, and is not read into memory whole. */
  static final int MAX_LINE = 4096;

  private SymbolFile() {}

  public static List<Symbol> read(Path path) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new SymbolFileException(path + ": " + (Files.exists(path) ? "not a regular file" : "no such file") + " (--symbols takes a System.map, a kallsyms copy or a vmlinux)");
    }
    try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        throw new SymbolFileException(path + ": empty file, no symbols");
      }
      MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      if (size >= 4 && file.get(ValueLayout.JAVA_BYTE, 0) == 0x7f && file.get(ValueLayout.JAVA_BYTE, 1) == 'E'
          && file.get(ValueLayout.JAVA_BYTE, 2) == 'L' && file.get(ValueLayout.JAVA_BYTE, 3) == 'F') {
        return ElfSymbols.read(path.toString(), file);
      }
      return text(path.toString(), file);
    }
  }

  static List<Symbol> text(String name, MemorySegment file) {
    List<Symbol> out = new ArrayList<>();
    long size = file.byteSize();
    long pos = 0;
    int lineNo = 0;
    boolean allZero = true;
    while (pos < size) {
      lineNo++;
      long end = pos;
      while (end < size && file.get(ValueLayout.JAVA_BYTE, end) != '\n') {
        if (end - pos >= MAX_LINE) {
          throw new SymbolFileException(String.format("%s:%d: a line longer than %d bytes: not a System.map, kallsyms or ELF file", name, lineNo, MAX_LINE));
        }
        end++;
      }
      String line = new String(file.asSlice(pos, end - pos).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.ISO_8859_1).strip();
      pos = end + 1;
      if (line.isEmpty()) {
        continue;
      }
      Symbol s = parseLine(line);
      if (s == null) {
        String shown = line.length() > 60 ? line.substring(0, 60) + "..." : line;
        throw new SymbolFileException(String.format(
            "%s:%d: '%s' is not a symbol line (ADDRESS TYPE NAME, as System.map and /proc/kallsyms have them; or give an ELF vmlinux)",
            name, lineNo, shown.replaceAll("\\p{Cntrl}", "?")));
      }
      allZero &= s.address() == 0;
      out.add(s);
    }
    if (out.isEmpty()) {
      throw new SymbolFileException(name + ": no symbols");
    }
    if (allZero && out.size() > 1) {
      throw new SymbolFileException(name + ": every address is 0: a /proc/kallsyms read without privilege (kptr_restrict); copy it as root");
    }
    return out;
  }

  private static Symbol parseLine(String line) {
    String[] f = line.split("\\s+");
    if (f.length < 3 || f.length > 4 || f[0].length() > 16 || f[1].length() != 1 || !Character.isLetter(f[1].charAt(0))
        || (f.length == 4 && !(f[3].startsWith("[") && f[3].endsWith("]")))) {
      return null;
    }
    long address;
    try {
      address = Long.parseUnsignedLong(f[0], 16);
    } catch (NumberFormatException e) {
      return null;
    }
    return new Symbol(f[2], address, f[1].charAt(0), 0);
  }
}
