package org.kexecsim.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the hostile inputs of testdata/hostile/catalogue.txt, one per case name: small files
 * built byte by byte so that each breaks exactly one rule.
 */
final class HostileInputs {
  private HostileInputs() {}

  interface Maker {
    void write(Path file) throws IOException;
  }

  /**
   * Cases whose permissions must hold even for root: HostileInputTest runs them in a child JVM
   * without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (capabilities(7)), where root obeys the mode bits.
   */
  static final java.util.Set<Path> WITHOUT_DAC_OVERRIDE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static final Map<String, Maker> CASES = new LinkedHashMap<>();

  static {
    CASES.put("cr3-outside-ram", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("pae-pdpt-outside-ram", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("table-entry-outside-ram", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x20_0003L)));
    CASES.put("self-referencing-table", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x1003L)));
    CASES.put("ram-map-beyond-image", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("empty-raw-image", f -> raw(f, 0, Map.of()));
    CASES.put("indirection-list-loop", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x2001L, 0x1008L, 0x3008L, 0x1010L, 0x1002L)));
    CASES.put("indirection-list-outside-ram", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x10_0002L)));
  }

  static {
    CASES.put("truncated-elf-header", f -> Files.write(f, java.util.Arrays.copyOf(elf(List.of(load(0x78, 0, 0x100, 0x100)), 0x100), 40)));
    CASES.put("phnum-beyond-file", f -> Files.write(f, phnum(elf(List.of(load(0, 0, 0, 0x1000)), 0), 100)));
    CASES.put("load-past-end-of-file", f -> Files.write(f, elf(List.of(load(0x78, 0, 0x10000, 0x10000)), 0x100)));
    CASES.put("load-offset-overflows", f -> Files.write(f, elf(List.of(load(0xFFFF_FFFF_FFFF_FF00L, 0, 0x1000, 0x1000)), 0)));
    CASES.put("overlapping-loads", f -> Files.write(f, elf(List.of(load(0, 0, 0, 0x2000), load(0, 0x1000, 0, 0x2000)), 0)));
    CASES.put("filesz-exceeds-memsz", f -> Files.write(f, elf(List.of(load(0x78, 0, 0x200, 0x100)), 0x200)));
    CASES.put("note-descsz-overflows", f -> Files.write(f, note(elf(List.of(noteHeader(0x78, 0x20)), 0x20), 0x78, 5, 0xFFFF_FFFFL, "CORE")));
    CASES.put("note-namesz-overflows", f -> Files.write(f, note(elf(List.of(noteHeader(0x78, 0x20)), 0x20), 0x78, 0xFFFF_FFFDL, 0, "")));
    CASES.put("segment-of-2^63-bytes", f -> Files.write(f, elf(List.of(load(0, 0, 0, 1L << 63)), 0)));
    CASES.put("dump-without-ram", f -> Files.write(f, elf(List.of(noteHeader(0x78, 12)), 12)));
    CASES.put("vmcoreinfo-malformed-number", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=4k\n")));
    CASES.put("vmcoreinfo-pagesize-zero", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=0\n")));
    CASES.put("vmcoreinfo-pagesize-8192", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=8192\n")));
    CASES.put("vmcoreinfo-l5-seven", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=4096\nNUMBER(pgtable_l5_enabled)=7\n")));
    CASES.put("vmcoreinfo-unaligned-root", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff82a0c010\n")));
    CASES.put("vmcoreinfo-number-overflows", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nNUMBER(phys_base)=99999999999999999999999\n")));
  }

  /** An ELF64 core with 256 bytes of RAM and one VMCOREINFO note holding {@code text}, its desc at 0xc8. */
  static byte[] vmcoreinfoCore(String text) {
    byte[] t = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int noteBytes = 12 + 12 + ((t.length + 3) & ~3); // the desc is padded to 4 bytes (gABI note alignment)
    byte[] core = elf(List.of(noteHeader(0xB0, noteBytes), load(0xB0 + noteBytes, 0, 0x100, 0x100)), noteBytes + 0x100);
    note(core, 0xB0, 11, t.length, "VMCOREINFO");
    System.arraycopy(t, 0, core, 0xB0 + 24, t.length);
    return core;
  }

  /**
   * An ELF64 x86-64 header and three section headers at {@code shoff} (null, .symtab, .strtab);
   * the symbol table claims {@code symSize} bytes at {@code symOffset}.
   */
  static byte[] routineElf(long shoff, int shnum, long symOffset, long symSize, boolean noSymtab) {
    ByteBuffer b = ByteBuffer.allocate(0x40 + 3 * 64 + 0x100).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putShort(16, (short) 2).putShort(18, (short) 62).putInt(20, 1);
    b.putLong(40, shoff).putShort(52, (short) 64).putShort(58, (short) 64).putShort(60, (short) shnum);
    int sh = 0x40;
    b.putInt(sh + 64 + 4, noSymtab ? 1 : 2).putLong(sh + 64 + 24, symOffset).putLong(sh + 64 + 32, symSize).putInt(sh + 64 + 40, 2);
    b.putInt(sh + 128 + 4, 3).putLong(sh + 128 + 24, 0x40 + 3 * 64).putLong(sh + 128 + 32, 16);
    return b.array();
  }

  static {
    CASES.put("elf-cr3-outside-ram", f -> Files.write(f, elfRam(0x4000, Map.of())));
    CASES.put("elf-pae-pdpt-outside-ram", f -> Files.write(f, elfRam(0x4000, Map.of())));
    Map<Long, Long> selfMap = new java.util.HashMap<>();
    for (long i = 0; i < 512; i++) {
      selfMap.put(0x1000 + 8 * i, 0x1003L); // every PML4E points back to the PML4
    }
    CASES.put("elf-table-points-to-itself", f -> Files.write(f, elfRam(0x2000, selfMap)));
    CASES.put("elf-self-map-entry", f -> Files.write(f, elfRam(0x2000, Map.of(0x1000L, 0x1003L))));
  }

  // dmesg: 32 KiB of RAM whose kernel text mapping (PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000, one
  // 2 MiB page) puts 0xffffffff80000000 + x at physical x, and VMCOREINFO (6.1's offsets) naming prb.
  static final long KTEXT = 0xffff_ffff_8000_0000L;

  static Map<Long, Long> kernelMapping() {
    return Map.of(0x1000L + 8 * 511, 0x2003L, 0x2000L + 8 * 510, 0x3003L, 0x3000L, 0x83L);
  }

  static String ringVmcoreinfo() {
    return """
        OSRELEASE=6.1.0-hostile
        SYMBOL(init_top_pgt)=ffffffff80001000
        NUMBER(phys_base)=0
        SYMBOL(prb)=ffffffff80004000
        SIZE(printk_ringbuffer)=88
        OFFSET(printk_ringbuffer.desc_ring)=0
        OFFSET(printk_ringbuffer.text_data_ring)=48
        OFFSET(prb_desc_ring.count_bits)=0
        OFFSET(prb_desc_ring.descs)=8
        OFFSET(prb_desc_ring.infos)=16
        OFFSET(prb_desc_ring.head_id)=24
        OFFSET(prb_desc_ring.tail_id)=32
        SIZE(prb_desc)=24
        OFFSET(prb_desc.state_var)=0
        OFFSET(prb_desc.text_blk_lpos)=8
        OFFSET(prb_data_blk_lpos.begin)=0
        OFFSET(prb_data_blk_lpos.next)=8
        SIZE(printk_info)=88
        OFFSET(printk_info.ts_nsec)=8
        OFFSET(printk_info.text_len)=16
        OFFSET(prb_data_ring.size_bits)=0
        OFFSET(prb_data_ring.data)=8
        OFFSET(atomic_long_t.counter)=0
        """;
  }

  /** An x86_64 vmcore: a VMCOREINFO note with {@code info}, and RAM [0, 32 KiB) zero but for {@code words}. */
  static byte[] vmcore(String info, Map<Long, Long> words) {
    byte[] text = info.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int noteBytes = 12 + 12 + ((text.length + 3) & ~3);
    int ram = 0x8000;
    int loadAt = 0xB0 + noteBytes;
    byte[] core = elf(List.of(noteHeader(0xB0, noteBytes), load(loadAt, 0, ram, ram)), noteBytes + ram);
    note(core, 0xB0, 11, text.length, "VMCOREINFO");
    System.arraycopy(text, 0, core, 0xB0 + 24, text.length);
    ByteBuffer b = ByteBuffer.wrap(core).order(ByteOrder.LITTLE_ENDIAN);
    words.forEach((at, value) -> b.putLong(loadAt + Math.toIntExact(at), value));
    return core;
  }

  /** An x86_64 core whose one PT_LOAD is RAM {@code [0, bytes)}, zero but for the given words. */
  static byte[] elfRam(int bytes, Map<Long, Long> words) {
    byte[] core = elf(List.of(load(0x78, 0, bytes, bytes)), bytes);
    ByteBuffer b = ByteBuffer.wrap(core).order(ByteOrder.LITTLE_ENDIAN);
    words.forEach((at, value) -> b.putLong(0x78 + Math.toIntExact(at), value));
    return core;
  }

  /** One ELF64 program header: type, p_offset, p_paddr, p_filesz, p_memsz. */
  record Phdr(int type, long offset, long paddr, long filesz, long memsz) {}

  static Phdr load(long offset, long paddr, long filesz, long memsz) {
    return new Phdr(1, offset, paddr, filesz, memsz);
  }

  static Phdr noteHeader(long offset, long size) {
    return new Phdr(4, offset, 0, size, size);
  }

  /** An x86_64 ET_CORE file: the header, {@code phdrs} from 0x40, then {@code data} zero bytes. */
  static byte[] elf(List<Phdr> phdrs, int data) {
    ByteBuffer b = ByteBuffer.allocate(64 + 56 * phdrs.size() + data).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
    b.putShort(16, (short) 4).putShort(18, (short) 62).putInt(20, 1).putLong(32, 64)
        .putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) phdrs.size());
    for (int i = 0; i < phdrs.size(); i++) {
      Phdr p = phdrs.get(i);
      int at = 64 + 56 * i;
      b.putInt(at, p.type()).putInt(at + 4, 7).putLong(at + 8, p.offset()).putLong(at + 24, p.paddr())
          .putLong(at + 32, p.filesz()).putLong(at + 40, p.memsz());
    }
    return b.array();
  }

  private static byte[] phnum(byte[] elf, int count) {
    ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).putShort(56, (short) count);
    return elf;
  }

  /** Writes a note header (n_namesz, n_descsz, n_type 1) and its name at {@code at}. */
  private static byte[] note(byte[] elf, int at, long namesz, long descsz, String name) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(at, (int) namesz).putInt(at + 4, (int) descsz).putInt(at + 8, 1);
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    System.arraycopy(n, 0, elf, at + 12, n.length);
    return elf;
  }

  // kdump-compressed files (makedumpfile's layout, see KdumpTestWriter): 64 KiB of RAM, 16 pages,
  // no notes, so: header block 0, sub-header block 1, 1st bitmap 0x2000, 2nd bitmap 0x3000,
  // 16 page descriptors of 24 bytes from 0x4000, page data from 0x4180.
  static final int DESC0 = 0x4000;

  static {
    CASES.put("kdump-signature-only", f -> {
      byte[] b = new byte[4096];
      System.arraycopy("KDUMP   ".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, b, 0, 8);
      Files.write(f, b);
    });
    CASES.put("kdump-block-size-lie", f -> Files.write(f, kdump(b -> b.putInt(428, 0x10000))));
    CASES.put("kdump-bitmap-blocks-past-eof", f -> Files.write(f, kdump(b -> b.putInt(436, 0x1000))));
    CASES.put("kdump-max-mapnr-lie", f -> Files.write(f, kdump(b -> b.putLong(4096 + 96, 1L << 41))));
    CASES.put("kdump-descriptor-size-lie", f -> Files.write(f, kdump(b -> b.putInt(DESC0 + 8, 0x100000))));
    CASES.put("kdump-descriptor-offset-past-eof", f -> Files.write(f, kdump(b -> b.putLong(DESC0, 0x7fff_ffff_0000_0000L))));
    CASES.put("kdump-zlib-bomb", f -> {
      // 1 MiB of zeros deflates to about 1 KiB: smaller than a page, so only the decoder can tell
      java.util.zip.Deflater d = new java.util.zip.Deflater(1);
      d.setInput(new byte[1 << 20]);
      d.finish();
      byte[] bomb = new byte[4096];
      int n = d.deflate(bomb);
      d.end();
      byte[] file = kdump(b -> {});
      byte[] out = java.util.Arrays.copyOf(file, file.length + n);
      System.arraycopy(bomb, 0, out, file.length, n);
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(DESC0, file.length).putInt(DESC0 + 8, n).putInt(DESC0 + 12, 1);
      Files.write(f, out);
    });
    CASES.put("kdump-truncated-descriptors", f -> Files.write(f, java.util.Arrays.copyOf(kdump(b -> {}), DESC0 + 100)));
    CASES.put("flattened-without-end-marker", f -> {
      byte[] flat = org.kexecsim.dump.kdump.KdumpTestWriter.flatten(kdump(b -> {}), 4096, 1);
      Files.write(f, java.util.Arrays.copyOf(flat, flat.length - 16));
    });
    CASES.put("flattened-record-past-end", f -> {
      byte[] flat = org.kexecsim.dump.kdump.KdumpTestWriter.flatten(kdump(b -> {}), 4096, 1);
      ByteBuffer.wrap(flat).order(ByteOrder.BIG_ENDIAN).putLong(4096 + 8, 1L << 40);
      Files.write(f, flat);
    });
    CASES.put("split-part-missing", f -> Files.write(f, kdumpWriter(0).split(2).get(1)));
    CASES.put("split-part-from-another-dump", f -> {
      Files.write(f, kdumpWriter(0).split(2).get(0));
      Files.write(Path.of(f + ".2"), kdumpWriter(1).split(2).get(1));
    });
    CASES.put("unrecognized-file", f -> Files.write(f, new java.util.SplittableRandom(5).ints(2048).collect(
        java.io.ByteArrayOutputStream::new, (o, i) -> o.write(i), (a, b) -> {}).toByteArray()));
    CASES.put("raw-image-with-format-raw", f -> raw(f, 16 << 10, Map.of(0x1000L, 0x1122334455667788L)));
  }

  interface Patch {
    void apply(ByteBuffer b);
  }

  private static org.kexecsim.dump.kdump.KdumpTestWriter kdumpWriter(long time) {
    org.kexecsim.memory.SparseMemory m = new org.kexecsim.memory.SparseMemory(org.kexecsim.memory.RamMap.ofSize(64 << 10));
    for (long pa = 0; pa < (64 << 10); pa += 8) {
      m.writeU64(pa, pa * 0x9E37_79B9_7F4A_7C15L);
    }
    return org.kexecsim.dump.kdump.KdumpTestWriter.of(m).codec(org.kexecsim.dump.kdump.PageCodec.ZLIB).timestamp(time);
  }

  /** A valid kdump-compressed file of 64 KiB of RAM, then {@code patch}ed. */
  private static byte[] kdump(Patch patch) {
    byte[] b = kdumpWriter(0).file();
    patch.apply(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN));
    return b;
  }

  /** A raw image of {@code size} bytes, zero but for the given 64-bit words. */
  private static void raw(Path file, int size, Map<Long, Long> words) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    words.forEach((at, value) -> b.putLong(Math.toIntExact(at), value));
    Files.write(file, b.array());
  }

  /** Writes every case into {@code dir}, named after the case: to look at them by hand. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : ".");
    Files.createDirectories(dir);
    for (var e : CASES.entrySet()) {
      try {
        e.getValue().write(dir.resolve(e.getKey()));
      } catch (org.opentest4j.TestAbortedException skipped) {
        System.err.println(e.getKey() + ": not written here: " + skipped.getMessage());
      }
    }
  }
  static {
    // relocate routines for `transition --routine`: an ELF64 whose offsets and sizes lie
    CASES.put("routine-elf-section-headers-beyond-file", f -> Files.write(f, routineElf(0x10000, 3, 0x100, 24, false)));
    CASES.put("routine-elf-symtab-beyond-file", f -> Files.write(f, routineElf(0x40, 3, 0x7fff_ffff_0000L, 0x6000_0000L, false)));
    CASES.put("routine-elf-without-symtab", f -> Files.write(f, routineElf(0x40, 3, 0x100, 24, true)));
    CASES.put("routine-flat-binary-too-big", f -> Files.write(f, new byte[8192]));
  }

  // Assembler sources whose evaluation would recurse without bound (issue 15 item 2).
  static {
    CASES.put("asm-equ-refers-to-itself", f -> Files.writeString(f, "nop\n.equ a, a+1\n.quad a\n"));
    CASES.put("asm-equ-chain-100k-deep", f -> {
      StringBuilder s = new StringBuilder(".equ s0, 1\n");
      for (int i = 1; i <= 100_000; i++) {
        s.append(".equ s").append(i).append(", s").append(i - 1).append("+1\n");
      }
      Files.writeString(f, s.append(".quad s100000\n"));
    });
    CASES.put("asm-100k-nested-parentheses", f -> Files.writeString(f, "nop\n.quad " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + "\n"));
    CASES.put("asm-200k-unary-minuses", f -> Files.writeString(f, ".quad " + "-".repeat(200_000) + "1\n"));
  }

  // Special files as dumps (issue 15 item 3): refused by their type, before any open.
  static {
    CASES.put("fifo-without-writer", f -> {
      Files.deleteIfExists(f);
      try {
        if (new ProcessBuilder("mkfifo", f.toString()).start().waitFor() != 0) {
          throw new IOException("mkfifo " + f + " failed");
        }
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
    });
    CASES.put("directory-as-dump", f -> {
      Files.deleteIfExists(f);
      Files.createDirectory(f);
    });
  }

  static {
    Map<Long, Long> ring = new java.util.HashMap<>(kernelMapping());
    ring.put(0x4000L, KTEXT + 0x4100); // prb -> printk_rb_static
    ring.put(0x4100L, 99L); // desc_ring.count_bits
    CASES.put("dmesg-ring-count-bits-99", f -> Files.write(f, vmcore(ringVmcoreinfo(), ring)));
    CASES.put("dmesg-prb-unmapped", f -> Files.write(f, vmcore(ringVmcoreinfo().replace("SYMBOL(prb)=ffffffff80004000", "SYMBOL(prb)=ffffffffc0000000"), ring)));
    CASES.put("dmesg-without-vmcoreinfo", f -> Files.write(f, elfRam(0x4000, Map.of())));
  }

  // rd, ptov, info and --symbols (issue 16): the new commands refuse what the others refuse, and
  // their own arguments, in one line.
  static {
    CASES.put("rd-unrecognized-file", CASES.get("unrecognized-file"));
    CASES.put("info-load-past-end-of-file", CASES.get("load-past-end-of-file"));
    CASES.put("info-vmcoreinfo-malformed-number", CASES.get("vmcoreinfo-malformed-number"));
    CASES.put("ptov-note-descsz-overflows", CASES.get("note-descsz-overflows"));
    CASES.put("rd-past-the-image", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("rd-wraps-past-2^64", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("rd-json-too-long", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("rd-words-misaligned", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("ptov-unknown-symbol", f -> raw(f, 16 << 10, Map.of()));
    CASES.put("symbols-file-is-a-raw-image", f -> raw(f, 16 << 10, Map.of()));
  }

  // ELF32 cores (QEMU's dump-guest-memory writes ELF32 for an i386 guest): every header field the
  // ELF64 cases break, broken in the 32-bit layout, plus what only ELF32 has.
  static {
    CASES.put("elf32-truncated-header", f -> Files.write(f, java.util.Arrays.copyOf(elf32(List.of(load(0x54, 0, 0x100, 0x100)), 0x100), 40)));
    CASES.put("elf32-pn-xnum-without-section-header", f -> Files.write(f, phnum32(elf32(List.of(load(0x34 + 32, 0, 0x1000, 0x1000)), 0x1000), 0xFFFF)));
    CASES.put("elf32-phnum-beyond-file", f -> Files.write(f, phnum32(elf32(List.of(load(0, 0, 0, 0x1000)), 0), 100)));
    CASES.put("elf32-phentsize-of-elf64", f -> {
      byte[] b = elf32(List.of(load(0x54, 0, 0x1000, 0x1000)), 0x1000);
      ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(42, (short) 56);
      Files.write(f, b);
    });
    CASES.put("elf32-load-past-end-of-file", f -> Files.write(f, elf32(List.of(load(0x54, 0, 0x10000, 0x10000)), 0x100)));
    CASES.put("elf32-load-offset-wraps-32-bits", f -> Files.write(f, elf32(List.of(load(0xFFFF_FF00L, 0, 0x1000, 0x1000)), 0)));
    CASES.put("elf32-overlapping-loads", f -> Files.write(f, elf32(List.of(load(0x74, 0, 0x1000, 0x2000), load(0x74, 0x1000, 0x1000, 0x2000)), 0x1000)));
    CASES.put("elf32-filesz-exceeds-memsz", f -> Files.write(f, elf32(List.of(load(0x54, 0, 0x200, 0x100)), 0x200)));
    CASES.put("elf32-note-descsz-overflows", f -> Files.write(f, note(elf32(List.of(noteHeader(0x54, 0x20)), 0x20), 0x54, 5, 0xFFFF_FFFFL, "CORE")));
    CASES.put("elf32-big-endian", f -> {
      byte[] b = elf32(List.of(load(0x54, 0, 0x1000, 0x1000)), 0x1000);
      b[5] = 2; // ELFDATA2MSB
      Files.write(f, b);
    });
    CASES.put("elf32-of-x86-64", f -> {
      byte[] b = elf32(List.of(load(0x54, 0, 0x4000, 0x4000)), 0x4000);
      ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(18, (short) 62);
      Files.write(f, b);
    });
    CASES.put("elf32-i386-legal", f -> Files.write(f, elf32(List.of(load(0x54, 0, 0x4000, 0x4000)), 0x4000)));
  }

  /** An i386 ET_CORE file in the ELF32 layout: the header, {@code phdrs} from 0x34, then {@code data} zero bytes. */
  static byte[] elf32(List<Phdr> phdrs, int data) {
    ByteBuffer b = ByteBuffer.allocate(52 + 32 * phdrs.size() + data).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1});
    b.putShort(16, (short) 4).putShort(18, (short) 3).putInt(20, 1).putInt(28, 52)
        .putShort(40, (short) 52).putShort(42, (short) 32).putShort(44, (short) phdrs.size());
    for (int i = 0; i < phdrs.size(); i++) {
      Phdr p = phdrs.get(i);
      int at = 52 + 32 * i;
      b.putInt(at, p.type()).putInt(at + 4, (int) p.offset()).putInt(at + 12, (int) p.paddr())
          .putInt(at + 16, (int) p.filesz()).putInt(at + 20, (int) p.memsz()).putInt(at + 24, 7);
    }
    return b.array();
  }

  private static byte[] phnum32(byte[] elf, int count) {
    ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN).putShort(44, (short) count);
    return elf;
  }

  // Special files as dumps, continued: a socket, character devices, a link to a FIFO.
  static {
    CASES.put("socket-as-dump", f -> {
      Files.deleteIfExists(f);
      try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
        ch.bind(java.net.UnixDomainSocketAddress.of(f));
      }
    });
    CASES.put("dev-null-as-dump", f -> {});
    CASES.put("dev-zero-as-dump", f -> {});
    CASES.put("symlink-to-fifo", f -> {
      Path fifo = f.resolveSibling(f.getFileName() + ".fifo");
      CASES.get("fifo-without-writer").write(fifo);
      Files.createSymbolicLink(f, fifo);
    });
    CASES.put("dump-shrinks-while-read", f -> Files.write(f, elfRam(16 << 20, Map.of())));
    CASES.put("image-list-is-dev-zero", f -> {});
    CASES.put("image-list-of-3-GiB", f -> {
      try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {'\n'}), (3L << 30) - 1); // sparse
      }
    });
    CASES.put("checksum-verify-file-is-dev-zero", f -> raw(f, 16 << 10, Map.of()));
  }

  // VMCOREINFO that is there but unusable, and notes that are legal but unusual.
  static {
    CASES.put("vmcoreinfo-binary-garbage", f -> {
      byte[] junk = new byte[200];
      new java.util.Random(7).nextBytes(junk);
      Files.write(f, notesCore(List.of(noteRecord("VMCOREINFO", 0, junk))));
    });
    CASES.put("vmcoreinfo-empty", f -> Files.write(f, notesCore(List.of(noteRecord("VMCOREINFO", 0, new byte[0])))));
    CASES.put("vmcoreinfo-line-without-equals", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE\n")));
    CASES.put("vmcoreinfo-without-root-symbol", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=4096\n")));
    CASES.put("vmcoreinfo-root-outside-ram", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(init_top_pgt)=ffffffff90000000\nNUMBER(phys_base)=0\n")));
    CASES.put("vmcoreinfo-phys-base-unaligned", f -> Files.write(f, vmcoreinfoCore("OSRELEASE=6.1.0\nSYMBOL(init_top_pgt)=ffffffff80001000\nNUMBER(phys_base)=123\n")));
    CASES.put("note-namesz-zero-before-vmcoreinfo", f -> Files.write(f, notesCore(List.of(
        noteRecord("", 0, new byte[8]), vmcoreinfoRecord("OSRELEASE=6.1.0-after-an-empty-name\n")))));
    CASES.put("note-all-zero-padding-after-vmcoreinfo", f -> Files.write(f, notesCore(List.of(
        vmcoreinfoRecord("OSRELEASE=6.1.0-padded\n"), new byte[36]))));
    CASES.put("note-unknown-owners-around-vmcoreinfo", f -> Files.write(f, notesCore(List.of(
        noteRecord("GNU", 3, new byte[20]), noteRecord("Xen", 0x1000002, new byte[5]),
        vmcoreinfoRecord("OSRELEASE=6.1.0-among-strangers\n"), noteRecord("LINUX", 0x202, new byte[512])))));
    CASES.put("vmcoreinfo-last-line-without-newline", f -> Files.write(f, notesCore(List.of(
        vmcoreinfoRecord("PAGESIZE=4096\nOSRELEASE=6.1.0-no-final-newline")))));
    CASES.put("vmcoreinfo-in-a-second-pt-note", f -> {
      byte[] first = noteRecord("GNU", 1, new byte[16]);
      byte[] second = vmcoreinfoRecord("OSRELEASE=6.1.0-second-segment\n");
      int base = 64 + 56 * 3;
      byte[] core = elf(List.of(noteHeader(base, first.length), noteHeader(base + first.length, second.length),
          load(base + first.length + second.length, 0, 0x100, 0x100)), first.length + second.length + 0x100);
      System.arraycopy(first, 0, core, base, first.length);
      System.arraycopy(second, 0, core, base + first.length, second.length);
      Files.write(f, core);
    });
  }

  /** One note: n_namesz (with the NUL, 0 for no name), n_descsz, n_type, then name and desc, each padded to 4 bytes. */
  static byte[] noteRecord(String name, int type, byte[] desc) {
    byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int namesz = n.length == 0 ? 0 : n.length + 1;
    ByteBuffer b = ByteBuffer.allocate(12 + ((namesz + 3) & ~3) + ((desc.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(namesz).putInt(desc.length).putInt(type).put(n);
    b.position(12 + ((namesz + 3) & ~3));
    b.put(desc);
    return b.array();
  }

  static byte[] vmcoreinfoRecord(String text) {
    return noteRecord("VMCOREINFO", 0, text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** An x86_64 core: one PT_NOTE holding {@code notes} back to back, and 256 bytes of RAM. */
  static byte[] notesCore(List<byte[]> notes) {
    int size = notes.stream().mapToInt(n -> n.length).sum();
    int base = 64 + 56 * 2;
    byte[] core = elf(List.of(noteHeader(base, size), load(base + size, 0, 0x100, 0x100)), size + 0x100);
    int at = base;
    for (byte[] n : notes) {
      System.arraycopy(n, 0, core, at, n.length);
      at += n.length;
    }
    return core;
  }

  // asm sources and `cpu run` machine descriptions.
  static {
    CASES.put("asm-source-not-utf8", f -> Files.write(f, new byte[] {'n', 'o', 'p', '\n', '.', 'a', 's', 'c', 'i', 'i', ' ', '"', (byte) 0xC3, (byte) 0x28, '"', '\n'}));
    CASES.put("asm-quad-shift-by-64", f -> Files.writeString(f, ".quad 1<<64\n"));
    CASES.put("asm-space-of-2^62-bytes", f -> Files.writeString(f, "nop\n.space 0x4000000000000000\n"));
    CASES.put("asm-org-backwards", f -> Files.writeString(f, ".org 0x10\nnop\n.org 0x4\n"));
    CASES.put("asm-label-defined-twice", f -> Files.writeString(f, "a:\nnop\na:\nhlt\n"));
    CASES.put("asm-unknown-instruction", f -> Files.writeString(f, "nop\nfrobnicate %rax\n"));
    CASES.put("asm-empty-source", f -> Files.writeString(f, ""));
    CASES.put("cpu-machine-truncated-json", f -> Files.writeString(f, "{ \"ram\": \"0-64M\", \"registers\": { \"rip\": \"0x1000\""));
    CASES.put("cpu-machine-json-nested-100k-deep", f -> Files.writeString(f, "{ \"ram\": " + "[".repeat(100_000) + "]".repeat(100_000) + " }"));
    CASES.put("cpu-machine-memory-outside-ram", f -> Files.writeString(f,
        "{ \"ram\": \"0-64K\", \"memory\": [ { \"address\": \"0x100000\", \"hex\": \"f4\" } ], \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-file-missing", f -> Files.writeString(f,
        "{ \"ram\": \"0-64K\", \"memory\": [ { \"address\": \"0x1000\", \"file\": \"" + f.getFileName() + ".code\" } ], \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-file-is-dev-zero", f -> Files.writeString(f,
        "{ \"ram\": \"0-64K\", \"memory\": [ { \"address\": \"0x1000\", \"file\": \"/dev/zero\" } ], \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-asm-equ-cycle", f -> Files.writeString(f,
        "{ \"ram\": \"0-64K\", \"memory\": [ { \"address\": \"0x1000\", \"asm\": \".equ a, a+1\\n.quad a\", \"bits\": 64 } ], \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-maxphyaddr-99", f -> Files.writeString(f, "{ \"ram\": \"0-64K\", \"maxPhyAddr\": 99, \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-ram-of-2^60-bytes", f -> Files.writeString(f, "{ \"ram\": \"0+0x1000000000000000\", \"registers\": { \"rip\": \"0x1000\" } }"));
    CASES.put("cpu-machine-jumps-to-itself", f -> Files.writeString(f,
        "{ \"ram\": \"0-64K\", \"memory\": [ { \"address\": \"0x1000\", \"hex\": \"eb fe\" } ], \"registers\": { \"rip\": \"0x1000\" }, \"segments\": { \"cs\": { \"selector\": 0, \"descriptor\": \"0x00cf9a000000ffff\" } } }"));
    CASES.put("asm-cpp-macro-expands-to-256-MiB", f -> {
      StringBuilder b = new StringBuilder("#define A0 xxxxxxxxxxxxxxxx\n");
      for (int i = 1; i <= 6; i++) {
        b.append("#define A").append(i).append((" A" + (i - 1)).repeat(16)).append('\n');
      }
      Files.writeString(Path.of(f + ".S"), b.append("A6\n"));
    });
    CASES.put("cpu-machine-is-dev-zero", f -> {});
    CASES.put("asm-source-larger-than-64-MiB", f -> {
      try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[] {'\n'}), 64L << 20); // sparse: 64 MiB of NULs and a newline
      }
    });
  }

  // Options: values no machine or command has, refused when parsed (exit 2, one line).
  static {
    Maker zeros = f -> raw(f, 16 << 10, Map.of());
    CASES.put("option-cpu-negative", zeros);
    CASES.put("option-cpu-beyond-the-notes", f -> {
      org.kexecsim.memory.RamMap map = org.kexecsim.memory.RamMap.ofSize(64 << 10);
      var cpu = new org.kexecsim.dump.CpuSnapshot(1, org.kexecsim.dump.RegisterFile.EMPTY
          .with(org.kexecsim.dump.Register.CR0, 0x8000_0011L).with(org.kexecsim.dump.Register.CR3, 0x1000)
          .with(org.kexecsim.dump.Register.CR4, 0x20));
      org.kexecsim.dump.ElfCoreWriter.write(new org.kexecsim.memory.SparseMemory(map), org.kexecsim.dump.CoreSpec.qemu(
          org.kexecsim.dump.ElfClass.ELF64, org.kexecsim.dump.PrStatus.Arch.X86_64, map.ranges(), List.of(cpu, cpu),
          java.util.Optional.empty()), f, false);
    });
    CASES.put("option-threads-negative", zeros);
    CASES.put("option-mode-unknown", zeros);
    CASES.put("option-ram-map-garbage", zeros);
    CASES.put("option-length-zero", zeros);
    CASES.put("option-word-12", zeros);
    CASES.put("option-maxphyaddr-60", zeros);
    CASES.put("option-cr3-unaligned", zeros);
    CASES.put("option-cr3-beyond-maxphyaddr", zeros);
    CASES.put("option-cr3-wider-than-a-pae-cr3", zeros);
    CASES.put("option-va-beyond-32-bits", zeros);
    CASES.put("option-rd-range-beyond-32-bits", zeros);
    CASES.put("option-ram-zero", f -> {});
    CASES.put("option-max-steps-zero", f -> Files.writeString(f, "{ \"ram\": \"0-64K\", \"registers\": { \"rip\": \"0x1000\" } }"));
  }

  // Output safety without signals: refused before anything is written, the earlier output left
  // as it was; links are followed to what they name.
  static final java.util.Deque<Path> MOUNTS = new java.util.ArrayDeque<>();

  /** An earlier set in {@code dir}: one line of text per file, so any change shows. */
  static void earlierSet(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String name : List.of("System.map", "post.core", "pre.core", "vmcore")) {
      Files.writeString(dir.resolve(name), "earlier " + name + "\n");
    }
  }

  /** Mounts a tmpfs at {@code dir} (root only: the case is skipped otherwise), unmounted after the case. */
  static void tmpfs(Path dir, String options) throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
    Files.createDirectories(dir);
    try {
      Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "mount -t tmpfs refused here: " + out);
    } catch (InterruptedException e) {
      throw new IOException(e);
    }
    MOUNTS.push(dir);
  }

  static {
    CASES.put("out-holds-an-earlier-set", HostileInputs::earlierSet);
    CASES.put("out-under-a-regular-file", f -> Files.writeString(f, "a file, not a directory\n"));
    CASES.put("out-on-a-full-filesystem", f -> {
      tmpfs(f, "size=1m");
      earlierSet(f.resolve("set"));
    });
    CASES.put("out-on-a-read-only-filesystem", f -> {
      tmpfs(f, "size=1m");
      earlierSet(f.resolve("set"));
      try {
        Process p = new ProcessBuilder("mount", "-o", "remount,ro", f.toString()).redirectErrorStream(true).start();
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
    });
    CASES.put("out-is-a-mount-point", f -> {
      tmpfs(f, "size=1m");
      earlierSet(f);
    });
    CASES.put("out-in-a-read-only-directory", f -> {
      Files.createDirectories(f);
      Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
      WITHOUT_DAC_OVERRIDE.add(f); // root writes anywhere unless the run drops CAP_DAC_OVERRIDE
    });
    CASES.put("out-is-a-link-to-a-directory", f -> {
      Path real = f.resolveSibling(f.getFileName() + ".real");
      earlierSet(real);
      Files.createSymbolicLink(f, real.getFileName());
    });
    CASES.put("rd-output-is-a-link-to-a-file", f -> {
      raw(Path.of(f + ".img"), 16 << 10, Map.of(0L, 0x6867666564636261L));
      Files.writeString(Path.of(f + ".target"), "earlier bytes\n");
      Files.createSymbolicLink(f, Path.of(f.getFileName() + ".target"));
    });
    CASES.put("rd-output-is-a-dangling-link", f -> {
      raw(Path.of(f + ".img"), 16 << 10, Map.of());
      Files.createSymbolicLink(f, Path.of(f.getFileName() + ".nowhere"));
    });
  }

  // SIGINT and SIGKILL while `transition --out` writes: run by KilledWriteTest, which prepares
  // DIR (an earlier whole set) itself; listed here so that every catalogue case has an entry.
  static final Maker BY_KILLED_WRITE_TEST = f -> {};

  static {
    for (String signal : List.of("sigint", "sigkill")) {
      for (String stage : List.of("as-the-staging-directory-appears", "while-pre.core-is-written", "while-post.core-is-written")) {
        CASES.put("transition-" + signal + "-" + stage, BY_KILLED_WRITE_TEST);
      }
    }
  }
}
