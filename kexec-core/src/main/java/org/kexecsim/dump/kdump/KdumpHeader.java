package org.kexecsim.dump.kdump;

import java.nio.charset.StandardCharsets;

/**
 * The disk_dump_header and kdump_sub_header of a kdump-compressed file (makedumpfile's
 * diskdump_mod.h), for header versions 1 to 6; makedumpfile 1.7 writes 6 (write_kdump_header).
 * The structs are written in the writing machine's C layout: a 64-bit makedumpfile (LP64) puts
 * {@code timeval} on an 8-byte boundary and writes 8-byte {@code unsigned long}s; a 32-bit one
 * (ILP32, built with 64-bit off_t) does neither. {@link #wide} says which was read.
 *
 * <p>Fields by version (diskdump_mod.h comments): 1 dump_level; 2 split, start_pfn, end_pfn;
 * 3 VMCOREINFO offset/size; 4 ELF notes offset/size; 5 eraseinfo; 6 64-bit start/end/max pfn.
 */
public record KdumpHeader(
    int version,
    String sysname,
    String release,
    String machine,
    long timestamp,
    long status,
    int blockSize,
    long subHeaderBlocks,
    long bitmapBlocks,
    long maxMapnr,
    int nrCpus,
    boolean wide,
    long physBase,
    int dumpLevel,
    boolean split,
    long startPfn,
    long endPfn,
    long offsetVmcoreinfo,
    long sizeVmcoreinfo,
    long offsetNote,
    long sizeNote) {

  public static final String SIGNATURE = "KDUMP   ";
  /** x86 pages; makedumpfile sets block_size to the page size. */
  public static final int PAGE = 4096;
  /** 52-bit physical addresses (SDM Vol. 3A §4.1.4) hold at most 2^40 4 KiB frames. */
  static final long MAX_PFNS = 1L << 40;
  /** new_utsname fields are 65 bytes each (include/uapi/linux/utsname.h). */
  private static final int UTS_FIELD = 65;
  private static final int UTSNAME_AT = 12;

  /** Bytes of the common header the reader needs (through nr_cpus in the wide layout). */
  static final int HEADER_BYTES = 464;

  /** Block offsets of the parts (DISKDUMP_HEADER_BLOCKS = 1 block of header, then the sub-header). */
  public long bitmapOffset() {
    return (1 + subHeaderBlocks) * blockSize;
  }

  /** Bytes in each of the two bitmaps: the bitmap blocks hold the 1st then the 2nd, equal halves. */
  public long bitmapHalf() {
    return bitmapBlocks * blockSize / 2;
  }

  /** Where the page descriptors start: right after the bitmaps. */
  public long descriptorsOffset() {
    return (1 + subHeaderBlocks + bitmapBlocks) * blockSize;
  }

  /** Compression named in the header status, for messages ("zlib", "lzo", "snappy", "zstd", "none"). */
  public String compression() {
    return PageCodec.ofFlags((int) status).cliName();
  }

  /** Parses and checks the headers of {@code bytes}, which must start with {@link #SIGNATURE}. */
  public static KdumpHeader read(DumpBytes bytes) {
    if (bytes.size() < HEADER_BYTES) {
      throw bytes.bad(0, String.format("file is %d bytes, shorter than the kdump header (%d)", bytes.size(), HEADER_BYTES));
    }
    byte[] head = new byte[HEADER_BYTES];
    bytes.read(0, head, 0, HEADER_BYTES);
    if (!new String(head, 0, 8, StandardCharsets.US_ASCII).equals(SIGNATURE)) {
      throw bytes.bad(0, "no \"KDUMP   \" signature");
    }
    int version = (int) bytes.u32(8);
    if (version < 1 || version > 6) {
      throw bytes.bad(8, "header_version " + version + ": makedumpfile writes versions 1 to 6");
    }
    // block_size is the page size; its place tells the writer's layout: 428 after an 8-aligned
    // timeval (LP64), 416 after a 4-aligned one (ILP32).
    boolean wideFits = bytes.u32(428) == PAGE;
    boolean narrowFits = bytes.u32(416) == PAGE;
    if (!wideFits && !narrowFits) {
      throw bytes.bad(428, String.format("block_size 0x%x (or 0x%x in the 32-bit layout) is not the 4 KiB x86 page size",
          bytes.u32(428), bytes.u32(416)));
    }
    boolean wide = wideFits;
    if (wideFits && narrowFits && version >= 6 && bytes.fits(PAGE, 80)) {
      // 4096 at both places: a 32-bit header whose max_mapnr is 4096 (then max_mapnr_64 of the
      // 32-bit sub-header repeats it), or a 64-bit one whose tv_usec happens to be 4096
      wide = bytes.u64(PAGE + 72) != bytes.u32(428);
    }
    long at = wide ? 424 : 412;
    long status = bytes.u32(at);
    long subBlocks = bytes.u32(at + 8);
    long bitmapBlocks = bytes.u32(at + 12);
    long maxMapnr32 = bytes.u32(at + 16);
    int nrCpus = (int) bytes.u32(at + 36);
    if (subBlocks == 0 || subBlocks > bytes.size() / PAGE) {
      throw bytes.bad(at + 8, String.format("sub_hdr_size %d blocks does not fit the file (size 0x%x)", subBlocks, bytes.size()));
    }
    if (bitmapBlocks == 0 || bitmapBlocks % 2 != 0) {
      throw bytes.bad(at + 12, "bitmap_blocks " + bitmapBlocks + " is not an even, non-zero count (two equal bitmaps)");
    }
    // The bitmaps are checked where they are read: makedumpfile --split reads them from the first
    // part only (reassemble_kdump_pages), and a part holding no pages may end inside them.
    if ((1 + subBlocks) * PAGE > bytes.size()) {
      throw bytes.bad(at + 8, String.format("header and %d sub-header blocks end at 0x%x, past the end of the file (size 0x%x)",
          subBlocks, (1 + subBlocks) * PAGE, bytes.size()));
    }

    long sub = PAGE;
    int w = wide ? 8 : 4; // unsigned long
    long physBase = w == 8 ? bytes.u64(sub) : bytes.u32(sub);
    int dumpLevel = (int) bytes.u32(sub + w);
    boolean split = false;
    long startPfn = 0;
    long endPfn = 0;
    long maxMapnr = maxMapnr32;
    long offVmci = 0;
    long sizeVmci = 0;
    long offNote = 0;
    long sizeNote = 0;
    // Offsets of the later fields in each layout (off_t is 8 bytes in both: _FILE_OFFSET_BITS=64).
    long splitAt = sub + w + 4;
    long pfnAt = splitAt + 4;
    long vmciAt = wide ? sub + 32 : sub + 20;
    long noteAt = wide ? sub + 48 : sub + 32;
    long pfn64At = wide ? sub + 80 : sub + 56;
    if (version >= 2) {
      split = bytes.u32(splitAt) != 0;
      startPfn = w == 8 ? bytes.u64(pfnAt) : bytes.u32(pfnAt);
      endPfn = w == 8 ? bytes.u64(pfnAt + w) : bytes.u32(pfnAt + w);
    }
    if (version >= 3) {
      offVmci = bytes.u64(vmciAt);
      sizeVmci = w == 8 ? bytes.u64(vmciAt + 8) : bytes.u32(vmciAt + 8);
    }
    if (version >= 4) {
      offNote = bytes.u64(noteAt);
      sizeNote = w == 8 ? bytes.u64(noteAt + 8) : bytes.u32(noteAt + 8);
    }
    if (version >= 6) {
      startPfn = bytes.u64(pfn64At);
      endPfn = bytes.u64(pfn64At + 8);
      maxMapnr = bytes.u64(pfn64At + 16);
    }
    if (Long.compareUnsigned(maxMapnr, MAX_PFNS) > 0 || maxMapnr == 0) {
      throw bytes.bad(version >= 6 ? pfn64At + 16 : at + 16, String.format(
          "max_mapnr 0x%x is not a frame count an x86 machine can have (1 to 2^40)", maxMapnr));
    }
    long half = bitmapBlocks * PAGE / 2;
    if (half * 8 < maxMapnr) {
      throw bytes.bad(at + 12, String.format("bitmaps of 0x%x bytes each cannot hold max_mapnr 0x%x pages", half, maxMapnr));
    }
    if (split) {
      // An empty part is real: makedumpfile splits by dumpable pages and may leave the last one nothing.
      if (Long.compareUnsigned(startPfn, endPfn) > 0 || Long.compareUnsigned(endPfn, maxMapnr) > 0) {
        throw bytes.bad(version >= 6 ? pfn64At : pfnAt, String.format(
            "split part pfn range [0x%x, 0x%x) is reversed or reaches past max_mapnr 0x%x", startPfn, endPfn, maxMapnr));
      }
    } else {
      startPfn = 0;
      endPfn = maxMapnr;
    }
    checkRegion(bytes, vmciAt, offVmci, sizeVmci, "VMCOREINFO");
    checkRegion(bytes, noteAt, offNote, sizeNote, "ELF note");
    long timestamp = wide ? bytes.u64(408) : bytes.u32(404);
    return new KdumpHeader(version, uts(head, 0), uts(head, 2), uts(head, 4), timestamp, status, PAGE, subBlocks, bitmapBlocks,
        maxMapnr, nrCpus, wide, physBase, dumpLevel, split, startPfn, endPfn, offVmci, sizeVmci, offNote, sizeNote);
  }

  private static void checkRegion(DumpBytes bytes, long field, long offset, long size, String what) {
    if (size != 0 && !bytes.fits(offset, size)) {
      throw bytes.bad(field, String.format("%s at 0x%x size 0x%x is past the end of the file (size 0x%x)",
          what, offset, size, bytes.size()));
    }
  }

  private static String uts(byte[] head, int field) {
    int from = UTSNAME_AT + field * UTS_FIELD;
    int len = 0;
    while (len < UTS_FIELD - 1 && head[from + len] != 0) {
      len++;
    }
    return new String(head, from, len, StandardCharsets.US_ASCII);
  }

  /** Whether this part belongs to the same dump as {@code other} (same machine, time and shape). */
  boolean sameDumpAs(KdumpHeader o) {
    return version == o.version && timestamp == o.timestamp && release.equals(o.release) && machine.equals(o.machine) && maxMapnr == o.maxMapnr
        && bitmapBlocks == o.bitmapBlocks && dumpLevel == o.dumpLevel && physBase == o.physBase;
  }
}
