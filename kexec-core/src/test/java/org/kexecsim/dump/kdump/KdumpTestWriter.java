package org.kexecsim.dump.kdump;

import io.airlift.compress.v3.Compressor;
import io.airlift.compress.v3.lzo.LzoCompressor;
import io.airlift.compress.v3.snappy.SnappyJavaCompressor;
import io.airlift.compress.v3.zstd.ZstdJavaCompressor;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;
import java.util.zip.Deflater;
import org.kexecsim.memory.PhysicalMemory;

/**
 * Writes kdump-compressed files the way makedumpfile lays them out (diskdump_mod.h structs in the
 * LP64 layout; makedumpfile.c write_kdump_header, write_kdump_bitmap*, write_kdump_pages_cyclic),
 * so that tests need no oracle to exercise every rule: each codec, excluded pages, older header
 * versions, split parts, flattened streams. Also re-encodes a real makedumpfile file's pages with
 * another codec, keeping its header, bitmaps and descriptor table where the tool put them.
 */
public final class KdumpTestWriter {
  static final int PAGE = 4096;
  static final int SUB_HEADER = 104; // sizeof(struct kdump_sub_header), LP64
  static final int SUB_HEADER_32 = 80; // ILP32

  private final PhysicalMemory memory;
  private PageCodec codec = PageCodec.ZLIB;
  private LongPredicate excluded = pfn -> false;
  private String vmcoreinfo = "";
  private int version = 6;
  private int dumpLevel = 0;
  private String machine = "x86_64";
  private long timestamp = 1_700_000_000L;
  private boolean narrow;

  private KdumpTestWriter(PhysicalMemory memory) {
    this.memory = memory;
  }

  public static KdumpTestWriter of(PhysicalMemory memory) {
    return new KdumpTestWriter(memory);
  }

  public KdumpTestWriter codec(PageCodec c) {
    codec = c;
    return this;
  }

  /** Frames the "dump level" leaves out. */
  public KdumpTestWriter exclude(LongPredicate pfns, int level) {
    excluded = pfns;
    dumpLevel = level;
    return this;
  }

  public KdumpTestWriter vmcoreinfo(String text) {
    vmcoreinfo = text;
    return this;
  }

  public KdumpTestWriter version(int v) {
    version = v;
    return this;
  }

  public KdumpTestWriter machine(String m) {
    machine = m;
    return this;
  }

  /** The ILP32 layout a 32-bit makedumpfile writes (4-byte longs and timeval fields, off_t 8 bytes 4-aligned). */
  public KdumpTestWriter narrow() {
    narrow = true;
    return this;
  }

  public KdumpTestWriter timestamp(long t) {
    timestamp = t;
    return this;
  }

  long maxMapnr() {
    return (memory.ramMap().end() + PAGE - 1) / PAGE;
  }

  boolean ram(long pfn) {
    return memory.ramMap().containsRange(pfn * PAGE, PAGE);
  }

  boolean dumpable(long pfn) {
    return ram(pfn) && !excluded.test(pfn);
  }

  /** One file holding every frame. */
  public byte[] file() {
    return part(0, maxMapnr(), false);
  }

  /** makedumpfile --split into {@code n} files of equal pfn ranges (the last takes the rest). */
  public List<byte[]> split(int n) {
    long max = maxMapnr();
    List<byte[]> out = new ArrayList<>();
    long per = max / n;
    for (int i = 0; i < n; i++) {
      out.add(part(i * per, i == n - 1 ? max : (i + 1) * per, true));
    }
    return out;
  }

  private byte[] part(long startPfn, long endPfn, boolean split) {
    long max = maxMapnr();
    byte[] notes = notes();
    long subBlocks = (SUB_HEADER + notes.length + PAGE - 1) / PAGE;
    long half = ((max + 7) / 8 + PAGE - 1) / PAGE * PAGE;
    long bitmapBlocks = 2 * half / PAGE;
    ByteBuffer h = le(PAGE);
    h.put(0, "KDUMP   ".getBytes(StandardCharsets.US_ASCII));
    h.putInt(8, version);
    putString(h, 12, "Linux");
    putString(h, 12 + 2 * 65, "6.16.0-test");
    putString(h, 12 + 4 * 65, machine);
    int at = narrow ? 412 : 424; // status: after a 4- or 8-aligned timeval
    if (narrow) {
      h.putInt(404, (int) timestamp);
    } else {
      h.putLong(408, timestamp);
    }
    h.putInt(at, codec.flag());
    h.putInt(at + 4, PAGE);
    h.putInt(at + 8, (int) subBlocks);
    h.putInt(at + 12, (int) bitmapBlocks);
    h.putInt(at + 16, (int) Math.min(max, 0xFFFF_FFFFL));
    h.putInt(at + 36, 1);
    int sub = narrow ? SUB_HEADER_32 : SUB_HEADER;
    // field offsets in struct kdump_sub_header, LP64 and ILP32
    int split0 = narrow ? 8 : 12;
    int vmci = narrow ? 20 : 32;
    int note = narrow ? 32 : 48;
    int pfn64 = narrow ? 56 : 80;
    ByteBuffer s = le((int) (subBlocks * PAGE));
    s.putInt(narrow ? 4 : 8, dumpLevel);
    if (version >= 2 && split) {
      s.putInt(split0, 1);
      if (narrow) {
        s.putInt(split0 + 4, (int) startPfn);
        s.putInt(split0 + 8, (int) endPfn);
      } else {
        s.putLong(16, startPfn);
        s.putLong(24, endPfn);
      }
    }
    if (version >= 3 && notes.length > 0) {
      s.put(sub, notes);
      s.putLong(vmci, PAGE + sub + 24); // the note's desc: after its 12-byte header and "VMCOREINFO\0" padded to 12
      if (narrow) {
        s.putInt(vmci + 8, vmcoreinfo.length());
      } else {
        s.putLong(vmci + 8, vmcoreinfo.length());
      }
    }
    if (version >= 4 && notes.length > 0) {
      s.putLong(note, PAGE + sub);
      if (narrow) {
        s.putInt(note + 8, notes.length);
      } else {
        s.putLong(note + 8, notes.length);
      }
    }
    if (version >= 6) {
      s.putLong(pfn64, split ? startPfn : 0);
      s.putLong(pfn64 + 8, split ? endPfn : 0);
      s.putLong(pfn64 + 16, max);
    }
    byte[] b1 = new byte[(int) half];
    byte[] b2 = new byte[(int) half];
    for (long pfn = 0; pfn < max; pfn++) {
      if (ram(pfn)) {
        b1[(int) (pfn >>> 3)] |= (byte) (1 << (pfn & 7));
      }
      if (dumpable(pfn)) {
        b2[(int) (pfn >>> 3)] |= (byte) (1 << (pfn & 7));
      }
    }
    long descBase = (1 + subBlocks + bitmapBlocks) * PAGE;
    long count = 0;
    for (long pfn = startPfn; pfn < endPfn; pfn++) {
      count += dumpable(pfn) ? 1 : 0;
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    ByteBuffer descs = le((int) (count * 24));
    long dataOffset = descBase + count * 24;
    byte[] page = new byte[PAGE];
    int i = 0;
    for (long pfn = startPfn; pfn < endPfn; pfn++) {
      if (!dumpable(pfn)) {
        continue;
      }
      memory.read(pfn * PAGE, page, 0, PAGE);
      byte[] stored = encode(codec, page);
      PageCodec used = stored.length < PAGE ? codec : PageCodec.NONE;
      if (used == PageCodec.NONE) {
        stored = page.clone();
      }
      descs.putLong(i * 24, dataOffset + data.size());
      descs.putInt(i * 24 + 8, stored.length);
      descs.putInt(i * 24 + 12, used.flag());
      data.writeBytes(stored);
      i++;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(h.array());
    out.writeBytes(s.array());
    out.writeBytes(b1);
    out.writeBytes(b2);
    out.writeBytes(descs.array());
    out.writeBytes(data.toByteArray());
    return out.toByteArray();
  }

  /** The note copy: one VMCOREINFO note (name "VMCOREINFO", type 0), as the kernel writes it. */
  private byte[] notes() {
    if (vmcoreinfo.isEmpty()) {
      return new byte[0];
    }
    byte[] text = vmcoreinfo.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer n = le(12 + 12 + ((text.length + 3) & ~3));
    n.putInt(0, 11);
    n.putInt(4, text.length);
    n.put(12, "VMCOREINFO".getBytes(StandardCharsets.US_ASCII));
    n.put(24, text);
    return n.array();
  }

  /** Compresses one page as makedumpfile does for that codec (zlib compress2 level 1, LZO1X-1, raw snappy, a zstd frame). */
  public static byte[] encode(PageCodec codec, byte[] page) {
    return switch (codec) {
      case NONE -> page.clone();
      case ZLIB -> {
        Deflater d = new Deflater(Deflater.BEST_SPEED);
        d.setInput(page);
        d.finish();
        byte[] buf = new byte[PAGE * 2];
        int n = d.deflate(buf);
        d.end();
        yield java.util.Arrays.copyOf(buf, n);
      }
      case LZO -> compress(new LzoCompressor(), page);
      case SNAPPY -> compress(new SnappyJavaCompressor(), page);
      case ZSTD -> compress(new ZstdJavaCompressor(), page);
    };
  }

  private static byte[] compress(Compressor c, byte[] page) {
    byte[] buf = new byte[c.maxCompressedLength(page.length)];
    int n = c.compress(page, 0, page.length, buf, 0, buf.length);
    return java.util.Arrays.copyOf(buf, n);
  }

  /**
   * A real kdump-compressed file with every page re-encoded in {@code codec} (flags
   * DUMP_DH_COMPRESSED_SNAPPY/_ZSTD as makedumpfile sets them; pages that do not shrink stay
   * uncompressed, as makedumpfile keeps them): header, bitmaps and descriptor table stay where the
   * real tool put them, the data is laid out again after the descriptors.
   */
  public static byte[] recompress(byte[] real, PageCodec codec) {
    DumpBytes bytes = new DumpBytes.Mapped("real", MemorySegment.ofArray(real));
    KdumpHeader h = KdumpHeader.read(bytes);
    PageBitmap dumpable = PageBitmap.read(bytes, h.bitmapOffset() + h.bitmapHalf(), h.maxMapnr());
    long count = dumpable.rank(h.endPfn()) - dumpable.rank(h.startPfn());
    long descBase = h.descriptorsOffset();
    ByteBuffer r = ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(real, 0, (int) (descBase + count * 24));
    ByteBuffer descs = le((int) (count * 24));
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    PageCodec.Decoders dec = new PageCodec.Decoders();
    long dataOffset = descBase + count * 24;
    for (int i = 0; i < count; i++) {
      long d = descBase + i * 24L;
      long off = r.getLong((int) d);
      int size = r.getInt((int) d + 8);
      int flags = r.getInt((int) d + 12);
      byte[] page = new byte[PAGE];
      String problem = dec.decode(PageCodec.ofFlags(flags), java.util.Arrays.copyOfRange(real, (int) off, (int) off + size), size, page);
      if (problem != null) {
        throw new IllegalStateException(problem);
      }
      byte[] stored = encode(codec, page);
      PageCodec used = stored.length < PAGE ? codec : PageCodec.NONE;
      if (used == PageCodec.NONE) {
        stored = page;
      }
      descs.putLong(i * 24, dataOffset + data.size());
      descs.putInt(i * 24 + 8, stored.length);
      descs.putInt(i * 24 + 12, used.flag());
      descs.putLong(i * 24 + 16, r.getLong((int) d + 16));
      data.writeBytes(stored);
    }
    byte[] o = out.toByteArray();
    System.arraycopy(descs.array(), 0, o, (int) descBase, descs.capacity());
    ByteBuffer hb = ByteBuffer.wrap(o).order(ByteOrder.LITTLE_ENDIAN);
    hb.putInt(h.wide() ? 424 : 412, (int) ((h.status() & ~PageCodec.ALL) | codec.flag()));
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(o);
    all.writeBytes(data.toByteArray());
    return all.toByteArray();
  }

  /**
   * The flattened stream (makedumpfile -F) of {@code file}: its bytes in records of at most
   * {@code record} bytes, sent in a shuffled order, with one early record of garbage that a later
   * record overwrites, as a re-assembly by offset would.
   */
  public static byte[] flatten(byte[] file, int record, long seed) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer h = ByteBuffer.allocate(FlattenedStream.HEADER_SIZE).order(ByteOrder.BIG_ENDIAN);
    h.put(0, "makedumpfile".getBytes(StandardCharsets.US_ASCII));
    h.putLong(16, 1);
    h.putLong(24, 1);
    out.writeBytes(h.array());
    List<long[]> pieces = new ArrayList<>();
    for (long off = 0; off < file.length; off += record) {
      pieces.add(new long[] {off, Math.min(record, file.length - off)});
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = pieces.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long[] t = pieces.get(i);
      pieces.set(i, pieces.get(j));
      pieces.set(j, t);
    }
    byte[] garbage = new byte[Math.min(record, file.length)];
    java.util.Arrays.fill(garbage, (byte) 0xA5);
    record(out, 0, garbage, 0, garbage.length);
    for (long[] p : pieces) {
      record(out, p[0], file, (int) p[0], (int) p[1]);
    }
    ByteBuffer end = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(0, -1).putLong(8, -1);
    out.writeBytes(end.array());
    return out.toByteArray();
  }

  private static void record(ByteArrayOutputStream out, long offset, byte[] src, int from, int length) {
    out.writeBytes(ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putLong(0, offset).putLong(8, length).array());
    out.write(src, from, length);
  }

  private static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void putString(ByteBuffer b, int at, String s) {
    b.put(at, s.getBytes(StandardCharsets.US_ASCII));
  }
}
