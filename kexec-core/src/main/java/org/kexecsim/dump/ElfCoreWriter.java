package org.kexecsim.dump;

import static org.kexecsim.dump.ElfConstants.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;
import org.kexecsim.memory.ReadableMemory;
import org.kexecsim.memory.ReadableMemory.Region;
import org.kexecsim.output.OutputSet;

/**
 * Writes physical memory as an ELF core file in the layout of the kernel's /proc/vmcore or of
 * QEMU's dump-guest-memory ({@link CoreLayout}).
 *
 * <p>Pages that hold only zeros are not written: the file is extended past them, so on file
 * systems with holes the output is sparse and a 64 GiB machine with 10 MiB of data costs about
 * 10 MiB. A memory that lists its populated regions (a sparse one) is walked by them, never page by page.
 *
 * <p>A core whose file would pass {@link #MAX_PLAIN_FILE} (ext4's limit: a 16 TiB machine's
 * core cannot be created there, sparse or not) is laid out as makedumpfile -E lays out a filtered
 * one: each RAM range cut into PT_LOADs at its long zero runs, each load's file bytes ending where
 * its data ends ({@code p_filesz < p_memsz}; the rest reads as zero, ELF gABI), so the file holds
 * only the data, however large the machine.
 *
 * <p>Readers differ on those memory-only tails. crash reads them as zeros (netdump.c: a load's
 * zero_fill past p_filesz). makedumpfile reading such a core marks their pfns not dumped
 * (makedumpfile.c exclude_nodata_pages clears them from the 2nd bitmap), so its output carries
 * them as excluded pages, which crash then refuses to read unless told to zero them
 * ({@code set zero_excluded on}); drgn may refuse reads there too (not verified here). This
 * project's reader returns zeros ({@link ElfCoreReader}). Checked by hand with Debian's
 * makedumpfile 1.7.2 on a 1 GiB vmcore forced into this layout: with {@code --non-mmap} it marks
 * exactly the p_memsz - p_filesz bytes excluded; without, it dies of SIGBUS (these loads' file
 * offsets are page-aligned, so it maps them, and reads past the end of the file; its own -E
 * output, at unaligned offsets, it reads with read(2)).
 *
 * <p>A file is written whole or not at all through {@link OutputSet}; an existing output is never
 * replaced unless {@code force} is set.
 */
public final class ElfCoreWriter {
  private static final int PAGE = PhysicalMemory.PAGE_SIZE;
  /** Bytes gathered before one positional write. */
  private static final int BATCH = 1 << 20;
  private static final byte[] ZERO_PAGE = new byte[PAGE];
  /**
   * The largest file laid out one PT_LOAD per RAM range: ext4's s_maxbytes with 4 KiB blocks and
   * extents, (2^32 - 1) blocks (fs/ext4/super.c ext4_max_size). Larger cores are cut at zero runs.
   */
  static final long MAX_PLAIN_FILE = ((1L << 32) - 1) * PAGE;
  /** The shortest zero run a cut core skips: makedumpfile's PFN_EXCLUDED, 256 pages
   * (makedumpfile.h; makedumpfile.c starts a new PT_LOAD when num_excluded >= PFN_EXCLUDED). */
  static final long MIN_SKIPPED_RUN = 256L * PAGE;

  private ElfCoreWriter() {}

  /** One PT_LOAD being laid out: {@code memSize} bytes of memory, the first {@code fileSize} of them in the file. */
  private record Load(long paddr, long memSize, long fileSize, long offset, long vaddr) {}

  /** A stretch of a RAM range that becomes one PT_LOAD: {@code [paddr, paddr + memSize)}, data in the first {@code fileSize}. */
  private record Piece(long paddr, long memSize, long fileSize) {}

  /** Writes {@code out} as a whole ({@link OutputSet#file}): refused when it exists and {@code force} is off. */
  public static void write(ReadableMemory memory, CoreSpec spec, Path out, boolean force) throws IOException {
    Layout layout = layout(spec, memory); // a spec that cannot be written is refused before any file appears
    try (OutputSet o = OutputSet.file(out, force)) {
      try (FileChannel ch = o.create(null)) {
        write(memory, layout, ch);
      } catch (IOException e) {
        throw o.failed(null, e);
      }
      o.commit();
    }
  }

  /** The headers, notes and loads of {@code spec}, laid out. */
  private record Layout(ByteBuffer head, byte[] notes, long noteOffset, List<Load> loads, long fileSize,
      Optional<List<Region>> populated) {}

  /**
   * Writes the core into {@code ch}, an empty file, without forcing it to disk: for callers that
   * stage several files and publish them together ({@link OutputSet}).
   */
  public static void write(ReadableMemory memory, CoreSpec spec, FileChannel ch) throws IOException {
    write(memory, layout(spec, memory), ch);
  }

  private static void write(ReadableMemory memory, Layout l, FileChannel ch) throws IOException {
    writeFully(ch, l.head().flip(), 0);
    writeFully(ch, ByteBuffer.wrap(l.notes()), l.noteOffset());
    Optional<List<Region>> populated = l.populated();
    for (Load load : l.loads()) {
      copy(memory, populated, load, ch);
    }
    if (ch.size() < l.fileSize()) {
      // Extends the file to its full length without writing the zeros: a hole.
      writeFully(ch, ByteBuffer.allocate(1), l.fileSize() - 1);
    }
  }

  private static Layout layout(CoreSpec spec, ReadableMemory memory) {
    List<RamRange> ranges = spec.layout() == CoreLayout.VMCORE && spec.crashRegion().isPresent()
        ? subtract(spec.ranges(), spec.crashRegion().get())
        : spec.ranges();
    if (spec.layout() == CoreLayout.VMCORE && spec.pageOffset().isPresent()) {
      ranges = splitAt(ranges, spec.directMapLimit());
    }
    if (ranges.isEmpty()) {
      throw new IllegalArgumentException("nothing to dump: no RAM ranges");
    }
    byte[] notes = notes(spec);
    List<Piece> pieces = new ArrayList<>();
    for (RamRange r : ranges) {
      pieces.add(new Piece(r.start(), r.size(), r.size()));
    }
    Optional<List<Region>> populated = memory.populatedRegions(); // listed once: a sparse memory lists what was written
    Layout plain = layout(spec, notes, pieces, populated);
    if (Long.compareUnsigned(plain.fileSize(), MAX_PLAIN_FILE) <= 0 || populated.isEmpty()) {
      return plain; // without a list of the data, a page-by-page search of terabytes would not end; the write fails naming the file
    }
    pieces.clear();
    for (RamRange r : ranges) {
      pieces.addAll(cut(r, populated.get()));
    }
    return layout(spec, notes, pieces, populated);
  }

  /**
   * {@code r} cut where the populated regions leave at least {@link #MIN_SKIPPED_RUN} of zeros:
   * each piece holds one run of data in its file bytes and the zeros after it in its memory size.
   */
  private static List<Piece> cut(RamRange r, List<Region> populated) {
    List<long[]> runs = new ArrayList<>(); // {start, end} of data, page-aligned, inside r
    for (int i = firstEndingPast(populated, r.start()); i < populated.size() && Long.compareUnsigned(populated.get(i).start(), r.end()) < 0; i++) {
      Region g = populated.get(i);
      long s = Math.max(g.start() & -PAGE, r.start());
      long e = Math.min(alignUp(g.start() + g.length(), PAGE), r.end());
      if (!runs.isEmpty() && s - runs.getLast()[1] < MIN_SKIPPED_RUN) {
        runs.getLast()[1] = e;
      } else {
        runs.add(new long[] {s, e});
      }
    }
    List<Piece> out = new ArrayList<>();
    if (runs.isEmpty() || runs.getFirst()[0] != r.start()) {
      long firstData = runs.isEmpty() ? r.end() : runs.getFirst()[0];
      out.add(new Piece(r.start(), firstData - r.start(), 0));
    }
    for (int i = 0; i < runs.size(); i++) {
      long[] run = runs.get(i);
      long next = i + 1 < runs.size() ? runs.get(i + 1)[0] : r.end();
      out.add(new Piece(run[0], next - run[0], run[1] - run[0]));
    }
    return out;
  }

  /** The index of the first of {@code populated} (sorted, disjoint) that ends past {@code address}. */
  private static int firstEndingPast(List<Region> populated, long address) {
    int lo = 0;
    int hi = populated.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      Region g = populated.get(mid);
      if (Long.compareUnsigned(g.start() + g.length(), address) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static Layout layout(CoreSpec spec, byte[] notes, List<Piece> pieces, Optional<List<Region>> populated) {
    ElfClass cls = spec.elfClass();
    int phnum = 1 + pieces.size() + (spec.kernelText().isPresent() ? 1 : 0);
    if (phnum >= PN_XNUM) {
      throw new IllegalArgumentException(phnum + " program headers; this writer stops below PN_XNUM (65535)");
    }
    long headers = cls.ehdrSize() + (long) phnum * cls.phdrSize();
    boolean kernel = spec.layout() == CoreLayout.VMCORE;
    long noteOffset = kernel ? alignUp(headers, PAGE) : headers;
    long offset = kernel ? alignUp(noteOffset + notes.length, PAGE) : noteOffset + notes.length;
    List<Load> loads = new ArrayList<>();
    if (spec.kernelText().isPresent()) {
      CoreSpec.KernelTextLoad t = spec.kernelText().get();
      long lead = kernel ? t.paddr() & (PAGE - 1) : 0;
      loads.add(new Load(t.paddr(), t.size(), t.size(), offset + lead, t.vaddr()));
      offset += kernel ? alignUp(lead + t.size(), PAGE) : t.size();
    }
    for (Piece p : pieces) {
      long vaddr = 0;
      if (spec.pageOffset().isPresent()) {
        long last = p.paddr() + p.memSize() - 1;
        vaddr = Long.compareUnsigned(last, spec.directMapLimit()) < 0 ? spec.pageOffset().getAsLong() + p.paddr() : -1L;
      }
      // fs/proc/vmcore.c: each PT_LOAD occupies whole pages of the file, the data at its page offset.
      long lead = kernel ? p.paddr() & (PAGE - 1) : 0;
      loads.add(new Load(p.paddr(), p.memSize(), p.fileSize(), offset + lead, vaddr));
      offset += kernel ? alignUp(lead + p.fileSize(), PAGE) : p.fileSize();
    }

    ByteBuffer head = ByteBuffer.allocate((int) headers).order(ByteOrder.LITTLE_ENDIAN);
    elfHeader(head, spec, phnum);
    programHeader(head, cls, PT_NOTE, 0, noteOffset, 0, 0, notes.length, notes.length, kernel ? 0 : 1);
    for (Load l : loads) {
      // p_align 0 in both producers: kexec-tools crashdump-elf.c leaves it 0 and fs/proc/vmcore.c
      // copies it; QEMU dump.c writes 0 too. crash --osrelease relies on the kernel's value.
      programHeader(head, cls, PT_LOAD, PF_R | PF_W | PF_X, l.offset, l.vaddr, l.paddr, l.fileSize, l.memSize, 0);
    }

    return new Layout(head, notes, noteOffset, loads, offset, populated);
  }

  /**
   * Copies the non-zero pages of one load: those of the memory's populated regions inside it
   * when it lists them, else every page it says may be non-zero; the rest stays a hole.
   */
  private static void copy(ReadableMemory memory, Optional<List<Region>> populated, Load l, FileChannel ch) throws IOException {
    ByteBuffer batch = ByteBuffer.allocate(BATCH);
    long batchFileOffset = -1;
    byte[] page = new byte[PAGE];
    long end = l.paddr + l.fileSize; // past the file bytes the load reads as zero
    List<Region> spans = populated.orElse(List.of(new Region(l.paddr, l.fileSize)));
    // from the first span reaching into the load, by bisection: a cut core has a load per data run,
    // and a scan from the first span for each would be quadratic in them
    for (int i = firstEndingPast(spans, l.paddr); i < spans.size() && Long.compareUnsigned(spans.get(i).start(), end) < 0; i++) {
      Region r = spans.get(i);
      long spanEnd = Math.min(r.start() + r.length(), end);
      for (long pageStart = Math.max(r.start(), l.paddr) & -PAGE; pageStart < spanEnd; pageStart += PAGE) {
        long from = Math.max(pageStart, l.paddr);
        int n = (int) (Math.min(pageStart + PAGE, end) - from);
        if (populated.isEmpty() && !memory.mayBeNonZero(pageStart)) {
          continue;
        }
        memory.read(from, page, 0, n);
        if (Arrays.mismatch(page, 0, n, ZERO_PAGE, 0, n) < 0) {
          continue;
        }
        long fileOffset = l.offset + (from - l.paddr);
        if (batch.position() > 0 && (batchFileOffset + batch.position() != fileOffset || batch.remaining() < n)) {
          writeFully(ch, batch.flip(), batchFileOffset);
          batch.clear();
        }
        if (batch.position() == 0) {
          batchFileOffset = fileOffset;
        }
        batch.put(page, 0, n);
      }
    }
    if (batch.position() > 0) {
      writeFully(ch, batch.flip(), batchFileOffset);
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      p += ch.write(b, p);
    }
  }

  /** Ranges cut in two where they straddle {@code limit}, as kexec-tools segregate_lowmem_region does at X86_MAXMEM. */
  static List<RamRange> splitAt(List<RamRange> ranges, long limit) {
    List<RamRange> out = new ArrayList<>();
    for (RamRange r : ranges) {
      if (Long.compareUnsigned(r.start(), limit) < 0 && Long.compareUnsigned(r.last(), limit) >= 0) {
        out.add(new RamRange(r.start(), limit - r.start(), r.type()));
        out.add(new RamRange(limit, r.end() - limit, r.type()));
      } else {
        out.add(r);
      }
    }
    return out;
  }

  /** {@code ranges} without {@code hole}: what a /proc/vmcore of them dumps. */
  public static List<RamRange> withoutRegion(List<RamRange> ranges, RamRange hole) {
    return subtract(ranges, hole);
  }

  /** RAM ranges with the crash region cut out, as kexec-tools excludes "Crash kernel" from /proc/iomem's RAM. */
  static List<RamRange> subtract(List<RamRange> ranges, RamRange hole) {
    List<RamRange> out = new ArrayList<>();
    for (RamRange r : ranges) {
      long s = r.start();
      long e = r.end();
      long hs = hole.start();
      long he = hole.end();
      if (Long.compareUnsigned(he, s) <= 0 || Long.compareUnsigned(hs, e) >= 0) {
        out.add(r);
        continue;
      }
      if (Long.compareUnsigned(hs, s) > 0) {
        out.add(new RamRange(s, hs - s, r.type()));
      }
      if (Long.compareUnsigned(he, e) < 0) {
        out.add(new RamRange(he, e - he, r.type()));
      }
    }
    return out;
  }

  /** The PT_NOTE contents, in the producer's order. */
  static byte[] notes(CoreSpec spec) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (CpuSnapshot cpu : spec.cpus()) {
      note(b, "CORE", NT_PRSTATUS, new PrStatus(spec.arch(), cpu.pid(), cpu.registers()).descriptor());
    }
    if (spec.layout() == CoreLayout.QEMU) {
      for (CpuSnapshot cpu : spec.cpus()) {
        note(b, "QEMU", 0, QemuCpuState.of(cpu.registers()).descriptor());
      }
    }
    spec.vmcoreInfo().ifPresent(v -> note(b, VmcoreInfo.NOTE_NAME, 0, v.bytes()));
    spec.extraNotes().forEach(n -> note(b, n.name(), n.type(), n.desc()));
    return b.toByteArray();
  }

  private static void note(ByteArrayOutputStream out, String name, int type, byte[] desc) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    int nameSize = n.length + 1; // n_namesz counts the terminating NUL
    ByteBuffer b = ByteBuffer.allocate((int) (NOTE_HEADER + align4(nameSize) + align4(desc.length)))
        .order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(nameSize).putInt(desc.length).putInt(type).put(n);
    b.position((int) (NOTE_HEADER + align4(nameSize)));
    b.put(desc);
    out.writeBytes(b.array());
  }

  private static void elfHeader(ByteBuffer b, CoreSpec spec, int phnum) {
    ElfClass cls = spec.elfClass();
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) cls.eiClass(), ELFDATA2LSB, EV_CURRENT});
    b.position(16);
    b.putShort((short) ET_CORE);
    b.putShort((short) (spec.arch() == PrStatus.Arch.X86_64 ? EM_X86_64 : EM_386));
    b.putInt(EV_CURRENT);
    if (cls == ElfClass.ELF64) {
      b.putLong(0).putLong(cls.ehdrSize()).putLong(0); // e_entry, e_phoff, e_shoff
    } else {
      b.putInt(0).putInt(cls.ehdrSize()).putInt(0);
    }
    b.putInt(0); // e_flags
    b.putShort((short) cls.ehdrSize()).putShort((short) cls.phdrSize()).putShort((short) phnum);
    b.putShort((short) 0).putShort((short) 0).putShort((short) 0); // no sections
  }

  private static void programHeader(ByteBuffer b, ElfClass cls, int type, int flags, long offset, long vaddr,
      long paddr, long filesz, long memsz, long align) {
    if (cls == ElfClass.ELF64) {
      b.putInt(type).putInt(flags).putLong(offset).putLong(vaddr).putLong(paddr).putLong(filesz).putLong(memsz).putLong(align);
      return;
    }
    for (long v : new long[] {offset, paddr, filesz, memsz}) {
      if (Long.compareUnsigned(v, cls.maxField()) > 0) {
        throw new IllegalArgumentException(String.format(
            "ELF32 cannot describe a segment at paddr 0x%x size 0x%x file offset 0x%x: use ELF64", paddr, memsz, offset));
      }
    }
    b.putInt(type).putInt((int) offset).putInt((int) vaddr).putInt((int) paddr).putInt((int) filesz)
        .putInt((int) memsz).putInt(flags).putInt((int) align);
  }
}
