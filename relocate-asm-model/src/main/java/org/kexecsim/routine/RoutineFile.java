package org.kexecsim.routine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kexecsim.files.IoFailure;
import java.util.OptionalLong;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.isa.AssemblyException;
import org.kexecsim.relocate.RelocateRoutine;

/**
 * A user's relocate routine from a file, told apart by its content: ELF magic → the
 * relocate_kernel range of a vmlinux or .o ({@link ElfRoutine}); a name ending in .S → the C
 * preprocessor, then our assembler; .s → our assembler; anything else → a flat binary, the
 * bytes as they go into the control page.
 */
public final class RoutineFile {
  private RoutineFile() {}

  public static RelocateRoutine load(Path file, int bits, CPreprocessor.Options cpp) {
    if (!Files.isRegularFile(file)) {
      throw new java.io.UncheckedIOException(Files.exists(file) // I/O: exit 4
          ? new java.nio.file.FileSystemException(file.toString(), null, "not a regular file")
          : new java.nio.file.NoSuchFileException(file.toString()));
    }
    byte[] head = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(4);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(IoFailure.at(file, e));
    }
    if (ElfRoutine.isElf(head)) {
      return fromElf(file, bits);
    }
    String name = file.getFileName().toString();
    if (name.endsWith(".S") || name.endsWith(".s")) {
      return fromSource(file, bits, cpp);
    }
    return fromBinary(file, bits);
  }

  static RelocateRoutine fromElf(Path file, int bits) {
    ElfRoutine elf = ElfRoutine.read(file);
    if ((elf.is64Bit() ? 64 : 32) != bits) {
      throw new RoutineRejected(String.format("%s: an ELF%d file, but the transition runs %d-bit code",
          file, elf.is64Bit() ? 64 : 32, bits));
    }
    String origin = String.format("%s, %s%s", file.getFileName(), elf.rangeRule(),
        elf.relocationCount() > 0 ? " (" + elf.relocationCount() + " relocations applied)" : "");
    // A 32-bit vmlinux's routine is position independent and runs from the control page
    // copy; only x86_64 needs the synthetic kernel to put relocate_kernel where it was linked.
    OptionalLong link = bits == 64 ? elf.linkVirtual() : OptionalLong.empty();
    return new RelocateRoutine(origin, bits, link, elf.size(), elf::bytesAt);
  }

  static RelocateRoutine fromSource(Path file, int bits, CPreprocessor.Options cpp) {
    String text;
    CPreprocessor.Output pre = null;
    try {
      if (CPreprocessor.wantsPreprocessing(file)) {
        pre = CPreprocessor.run(file, cpp);
        text = pre.text();
      } else {
        text = org.kexecsim.files.TextFile.read(file);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(IoFailure.at(file, e));
    }
    Assembly a = assemble(file, text, bits, 0, pre);
    if (a.size() == 0 || a.size() > RelocateRoutine.CONTROL_PAGE_BYTES) {
      throw new RoutineRejected(String.format("%s: assembles to %d bytes; a routine must be 1..%d (the control page)",
          file, a.size(), RelocateRoutine.CONTROL_PAGE_BYTES));
    }
    CPreprocessor.Output lines = pre;
    String source = text;
    return new RelocateRoutine(file.getFileName() + (pre != null ? " (through cpp)" : ""), bits, OptionalLong.empty(),
        a.size(), va -> assemble(file, source, bits, va, lines).bytes());
  }

  /** Assembles, naming the user's file and line (through cpp's line markers) on an error. */
  public static Assembly assemble(Path file, String text, int bits, long origin, CPreprocessor.Output pre) {
    try {
      return Assembler.assemble(text, bits, origin);
    } catch (AssemblyException e) {
      String where = pre != null ? pre.origin(e.line()) : file + ":" + e.line();
      throw new RoutineRejected(where + ":" + e.column() + ": " + e.reason(), e);
    }
  }

  static RelocateRoutine fromBinary(Path file, int bits) {
    byte[] b;
    try {
      long size = Files.size(file);
      if (size == 0 || size > RelocateRoutine.CONTROL_PAGE_BYTES) {
        throw new RoutineRejected(String.format("%s: a flat binary of %d bytes; a routine must be 1..%d (the control page)",
            file, size, RelocateRoutine.CONTROL_PAGE_BYTES));
      }
      try (var in = Files.newInputStream(file)) { // st_size is a hint: the read is bounded too
        b = in.readNBytes(RelocateRoutine.CONTROL_PAGE_BYTES + 1);
      }
      if (b.length > RelocateRoutine.CONTROL_PAGE_BYTES) {
        throw new RoutineRejected(String.format("%s: a flat binary of more than %d bytes; a routine must fit the control page",
            file, RelocateRoutine.CONTROL_PAGE_BYTES));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(IoFailure.at(file, e));
    }
    byte[] bytes = b;
    return new RelocateRoutine(file.getFileName() + " (flat binary)", bits, OptionalLong.empty(), bytes.length, va -> bytes.clone());
  }
}
