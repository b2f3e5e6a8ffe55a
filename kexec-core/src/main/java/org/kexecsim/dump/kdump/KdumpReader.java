package org.kexecsim.dump.kdump;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.dump.ElfNotes;
import org.kexecsim.dump.MalformedDumpException;
import org.kexecsim.dump.VmcoreInfo;

/**
 * Opens makedumpfile's kdump-compressed dumps as a {@link Dump}: one file, a flattened stream
 * ({@code -F}), or all the files of a {@code --split} dump, which together are one dump. Files
 * are mapped, never read whole; only the headers, the two bitmaps and the note copy are read at
 * open, pages are decoded when read.
 */
public final class KdumpReader {
  /** Notes are a few KiB per CPU; more than 64 MiB is not a note copy this reader accepts. */
  static final long MAX_NOTES = 64L << 20;
  /** Frames whose bitmaps this reader keeps in the heap: 2^30 frames (4 TiB of RAM), 128 MiB per bitmap. */
  static final long MAX_FRAMES = 1L << 30;

  private KdumpReader() {}

  /** One opened file and its header. */
  private record Opened(Path path, DumpBytes bytes, KdumpHeader header, boolean flattened) {}

  /** Whether {@code head} (a file's first bytes) is a kdump-compressed header. */
  public static boolean isKdump(byte[] head) {
    return head.length >= 8 && new String(head, 0, 8, StandardCharsets.US_ASCII).equals(KdumpHeader.SIGNATURE);
  }

  /**
   * Opens {@code paths}: one kdump-compressed or flattened file, or every part of a split dump in
   * any order. A missing, overlapping or foreign part is refused with the pfns concerned.
   */
  public static Dump open(List<Path> paths) throws IOException {
    Arena arena = Arena.ofShared();
    try {
      List<Opened> files = new ArrayList<>();
      for (Path p : paths) {
        files.add(openOne(p, arena));
      }
      return assemble(files, arena);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static Opened openOne(Path path, Arena arena) throws IOException {
    MemorySegment seg;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      seg = org.kexecsim.dump.MappedFiles.map(ch, path, ch.size(), arena);
    } catch (IOException e) {
      throw org.kexecsim.files.IoFailure.at(path, e);
    }
    String name = path.toString();
    byte[] head = seg.asSlice(0, Math.min(16, seg.byteSize())).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    DumpBytes bytes;
    boolean flattened = false;
    if (FlattenedStream.matches(head)) {
      FlattenedStream s = FlattenedStream.index(name, seg);
      byte[] inner = new byte[(int) Math.min(8, s.size())];
      s.read(0, inner, 0, inner.length);
      if (!isKdump(inner)) {
        throw new MalformedDumpException(name, FlattenedStream.HEADER_SIZE, inner.length >= 4 && inner[0] == 0x7f && inner[1] == 'E'
            ? "a flattened ELF dump (makedumpfile -F -E) is not read in place; re-assemble it with makedumpfile -R"
            : "the flattened stream does not carry a kdump-compressed file (no \"KDUMP   \" at offset 0)");
      }
      bytes = s;
      flattened = true;
    } else {
      bytes = new DumpBytes.Mapped(name, seg);
    }
    return new Opened(path, bytes, KdumpHeader.read(bytes), flattened);
  }

  private static Dump assemble(List<Opened> files, Arena arena) {
    DumpFormat format = files.getFirst().flattened() ? DumpFormat.FLATTENED : DumpFormat.KDUMP_COMPRESSED;
    if (files.size() > 1 || files.getFirst().header().split()) {
      format = DumpFormat.SPLIT;
      checkSplit(files); // sorts by start pfn
    }
    // the bitmaps are read from the part holding pfn 0, as makedumpfile's reassembly does
    Opened first = files.getFirst();
    KdumpHeader h = first.header();
    if (h.maxMapnr() > MAX_FRAMES) {
      throw first.bytes().bad(8, String.format("max_mapnr 0x%x: machines over 4 TiB of RAM are not supported", h.maxMapnr()));
    }
    int eMachine = switch (h.machine()) {
      case "x86_64" -> Dump.EM_X86_64;
      case "i386", "i486", "i586", "i686" -> Dump.EM_386;
      default -> throw first.bytes().bad(12 + 4 * 65, "utsname.machine '" + h.machine() + "' is not x86 (x86_64 or i386..i686)");
    };
    PageBitmap ram = PageBitmap.read(first.bytes(), h.bitmapOffset(), h.maxMapnr());
    PageBitmap dumpable = PageBitmap.read(first.bytes(), h.bitmapOffset() + h.bitmapHalf(), h.maxMapnr());
    List<CompressedMemory.Part> parts = new ArrayList<>();
    for (Opened f : files) {
      KdumpHeader fh = f.header();
      if (f != first && f.bytes().fits(fh.bitmapOffset(), 2 * fh.bitmapHalf())) {
        PageBitmap d2 = PageBitmap.read(f.bytes(), fh.bitmapOffset() + fh.bitmapHalf(), fh.maxMapnr());
        if (!d2.sameBits(dumpable)) {
          throw f.bytes().bad(fh.bitmapOffset() + fh.bitmapHalf(), "its 2nd bitmap differs from " + first.path()
              + "'s: the parts are not from one makedumpfile --split run");
        }
      }
      long rankBase = dumpable.rank(fh.startPfn());
      long count = dumpable.rank(fh.endPfn()) - rankBase;
      long descBase = fh.descriptorsOffset();
      if (count > 0 && !f.bytes().fits(descBase, count * CompressedMemory.DESC_SIZE)) {
        throw f.bytes().bad(descBase, String.format("%d page descriptors (one per dumpable page of pfns [0x%x, 0x%x)) "
            + "run past the end of the file (size 0x%x): truncated", count, fh.startPfn(), fh.endPfn(), f.bytes().size()));
      }
      parts.add(new CompressedMemory.Part(f.bytes(), fh.startPfn(), fh.endPfn(), descBase, rankBase));
    }
    CompressedMemory memory = new CompressedMemory(parts, ram, dumpable, h.dumpLevel(), first.bytes().name());
    ElfNotes notes = notes(first);
    Optional<VmcoreInfo> vmcoreInfo = notes.vmcoreInfo();
    if (vmcoreInfo.isEmpty() && h.sizeVmcoreinfo() > 0) {
      if (h.sizeVmcoreinfo() > VmcoreInfo.MAX_BYTES * 256L) {
        throw first.bytes().bad(KdumpHeader.PAGE + 40, "size_vmcoreinfo 0x" + Long.toHexString(h.sizeVmcoreinfo()) + " is over 1 MiB");
      }
      byte[] text = new byte[(int) h.sizeVmcoreinfo()];
      first.bytes().read(h.offsetVmcoreinfo(), text, 0, text.length);
      vmcoreInfo = Optional.of(ElfNotes.vmcoreInfo(first.bytes().name(), MemorySegment.ofArray(text), 0, text.length,
          h.offsetVmcoreinfo()));
    }
    return new Dump(first.path(), format, Optional.empty(), eMachine, memory, List.of(), List.of(), notes.notes(),
        notes.prStatus(), notes.qemuCpuStates(), vmcoreInfo, arena);
  }

  /** The ELF notes makedumpfile copied after the sub-header (header version 4 and later). */
  private static ElfNotes notes(Opened f) {
    KdumpHeader h = f.header();
    if (h.sizeNote() == 0) {
      return new ElfNotes(List.of(), List.of(), List.of(), Optional.empty());
    }
    if (h.sizeNote() > MAX_NOTES) {
      throw f.bytes().bad(KdumpHeader.PAGE + 56, String.format("size_note 0x%x is over 64 MiB", h.sizeNote()));
    }
    byte[] b = new byte[(int) h.sizeNote()];
    f.bytes().read(h.offsetNote(), b, 0, b.length);
    return ElfNotes.parse(f.bytes().name(), MemorySegment.ofArray(b), 0, b.length, h.offsetNote());
  }

  /** All parts of one split dump, together covering every frame exactly once. */
  private static void checkSplit(List<Opened> files) {
    Opened first = files.getFirst();
    for (Opened f : files) {
      if (!f.header().split()) {
        throw f.bytes().bad(KdumpHeader.PAGE + 12, files.size() == 1
            ? "not a split dump part" : "several files given, but this one is not a part of a makedumpfile --split dump");
      }
      if (!f.header().sameDumpAs(first.header())) {
        throw f.bytes().bad(0, "this part's header (release, time, max_mapnr, dump level) differs from " + first.path()
            + "'s: it is from another dump");
      }
    }
    files.sort(Comparator.comparingLong(f -> f.header().startPfn()));
    long expect = 0;
    for (Opened f : files) {
      KdumpHeader h = f.header();
      if (h.startPfn() > expect) {
        throw f.bytes().bad(KdumpHeader.PAGE + 80, String.format(
            "split dump part missing: no file given holds pfns [0x%x, 0x%x) (%d file%s given; name every part)",
            expect, h.startPfn(), files.size(), files.size() == 1 ? "" : "s"));
      }
      if (h.startPfn() < expect) {
        throw f.bytes().bad(KdumpHeader.PAGE + 80, String.format(
            "split parts overlap: pfns [0x%x, 0x%x) are in this file and in another (the same part given twice?)",
            h.startPfn(), Math.min(expect, h.endPfn())));
      }
      expect = h.endPfn();
    }
    KdumpHeader last = files.getLast().header();
    if (expect < last.maxMapnr()) {
      throw files.getLast().bytes().bad(KdumpHeader.PAGE + 88, String.format(
          "split dump part missing: no file given holds pfns [0x%x, 0x%x) (%d file%s given; name every part)",
          expect, last.maxMapnr(), files.size(), files.size() == 1 ? "" : "s"));
    }
  }
}
