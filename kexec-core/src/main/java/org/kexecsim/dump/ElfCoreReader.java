package org.kexecsim.dump;

import static org.kexecsim.dump.ElfConstants.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.kexecsim.elf.ElfFields;

/**
 * Opens an ELF32 or ELF64 core file (the kernel's /proc/vmcore, QEMU's dump-guest-memory, this
 * project's writer) as a {@link Dump}. The file is mapped, never read into the heap, so a
 * 16 GiB dump opens in the time it takes to read its headers.
 *
 * <p>The file is untrusted. Every size and offset is checked against the file before it is used,
 * in unsigned 64-bit arithmetic that cannot wrap; a violation is a {@link
 * MalformedDumpException} naming the file, the offset of the field and the problem.
 */
public final class ElfCoreReader {
  /** x86_64 __START_KERNEL_map: PT_LOADs with a p_vaddr here alias RAM through the kernel text map. */
  static final long START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000L;
  /** SDM Vol. 3A §4.1.4: MAXPHYADDR is at most 52, so no physical address reaches 2^52. */
  static final long PHYSICAL_LIMIT = 1L << 52;

  /** QEMU writes one PT_LOAD per guest memory block, the kernel one per RAM range: thousands at most. */
  static final long MAX_PHNUM = 1 << 20;

  private final String name;
  private final MemorySegment file;
  private final ElfFields in;
  private final long size;
  private ElfClass elfClass;

  private ElfCoreReader(String name, MemorySegment file) {
    this.name = name;
    this.file = file;
    this.in = new ElfFields(file);
    this.size = file.byteSize();
  }

  /** Maps {@code path} and parses it; the returned dump owns the mapping. */
  public static Dump open(Path path) throws IOException {
    return MappedFiles.open(path, (channel, arena) ->
        new ElfCoreReader(path.toString(), MappedFiles.map(channel, path, channel.size(), arena)).read(path, arena));
  }

  /** Whether {@code path} starts with the ELF magic; raw images do not. */
  public static boolean looksLikeElf(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
      channel.read(b, 0);
      return b.position() == 4 && b.get(0) == 0x7f && b.get(1) == 'E' && b.get(2) == 'L' && b.get(3) == 'F';
    }
  }

  private Dump read(Path path, Arena arena) {
    if (size < 16 || in.u8(0) != 0x7f || in.u8(1) != 'E' || in.u8(2) != 'L' || in.u8(3) != 'F') {
      throw bad(0, "not an ELF file (no \\x7fELF magic)");
    }
    elfClass = switch (in.u8(4)) {
      case 1 -> ElfClass.ELF32;
      case 2 -> ElfClass.ELF64;
      default -> throw bad(4, "e_ident[EI_CLASS] " + in.u8(4) + " is neither ELFCLASS32 nor ELFCLASS64");
    };
    if (in.u8(5) != ELFDATA2LSB) {
      throw bad(5, "e_ident[EI_DATA] " + in.u8(5) + ": only little-endian (ELFDATA2LSB) x86 dumps are supported");
    }
    boolean is64 = elfClass == ElfClass.ELF64;
    if (size < elfClass.ehdrSize()) {
      throw bad(0, String.format("file is %d bytes, shorter than the %d-byte ELF header", size, elfClass.ehdrSize()));
    }
    int eType = in.u16(16);
    if (eType != ET_CORE) {
      throw bad(16, "e_type " + eType + " is not ET_CORE (4)");
    }
    int eMachine = in.u16(18);
    long ePhoff = is64 ? in.u64(32) : in.u32(28);
    long eShoff = is64 ? in.u64(40) : in.u32(32);
    long phentOff = is64 ? 54 : 42;
    int ePhentsize = in.u16(phentOff);
    long ePhnum = in.u16(phentOff + 2);
    if (ePhentsize != elfClass.phdrSize()) {
      throw bad(phentOff, String.format("e_phentsize %d, expected %d for %s", ePhentsize, elfClass.phdrSize(), elfClass));
    }
    if (ePhnum == PN_XNUM) {
      // gABI: the real count is sh_info of section header 0 (QEMU uses this beyond 65534 segments).
      long shdrSize = is64 ? 64 : 40;
      if (eShoff == 0) {
        // gABI: e_shoff 0 means the file has no section header table, so no count to read (a
        // section header "at 0" would be the ELF header itself, read as garbage)
        throw bad(is64 ? 40 : 32, "e_phnum is PN_XNUM (0xffff), which puts the count in section header 0, but e_shoff is 0: the file has no section header table");
      }
      int eShentsize = in.u16(is64 ? 58 : 46);
      if (eShentsize != shdrSize) {
        throw bad(is64 ? 58 : 46, String.format("e_shentsize %d, expected %d for %s (e_phnum PN_XNUM reads section header 0)", eShentsize, shdrSize, elfClass));
      }
      if (!fits(eShoff, shdrSize)) {
        throw bad(is64 ? 40 : 32, String.format("e_shoff 0x%x: section header 0 (for e_phnum PN_XNUM) is past the end of the file", eShoff));
      }
      ePhnum = in.u32(eShoff + (is64 ? 44 : 28));
    }
    if (ePhnum > MAX_PHNUM) {
      throw bad(phentOff + 2, String.format("e_phnum %d: more than %d program headers is not a dump this reader accepts", ePhnum, MAX_PHNUM));
    }
    if (ePhnum == 0) {
      throw bad(phentOff + 2, "e_phnum 0: no program headers, so no memory");
    }
    if (!fits(ePhoff, ePhnum * ePhentsize)) {
      throw bad(phentOff + 2, String.format(
          "e_phnum %d program headers at e_phoff 0x%x extend past the end of the file (size 0x%x)", ePhnum, ePhoff, size));
    }

    List<ProgramHeader> loads = new ArrayList<>();
    List<ProgramHeader> textLoads = new ArrayList<>();
    List<Note> notes = new ArrayList<>();
    List<PrStatus> prStatus = new ArrayList<>();
    List<QemuCpuState> qemu = new ArrayList<>();
    VmcoreInfo vmcoreInfo = null;
    for (long i = 0; i < ePhnum; i++) {
      ProgramHeader ph = programHeader(ePhoff + i * ePhentsize, is64);
      if (ph.pType() == PT_LOAD) {
        checkLoad(ph);
        if (ph.pMemsz() == 0) {
          continue;
        }
        boolean textAlias = eMachine == EM_X86_64 && Long.compareUnsigned(ph.pVaddr(), START_KERNEL_MAP) >= 0;
        (textAlias ? textLoads : loads).add(ph);
      } else if (ph.pType() == PT_NOTE) {
        checkFileRange(ph, "PT_NOTE");
        ElfNotes found = ElfNotes.parse(name, file, ph.pOffset(), ph.pFilesz(), 0);
        notes.addAll(found.notes());
        prStatus.addAll(found.prStatus());
        qemu.addAll(found.qemuCpuStates());
        if (found.vmcoreInfo().isPresent()) {
          vmcoreInfo = found.vmcoreInfo().get();
        }
      }
    }
    if (loads.isEmpty()) {
      throw bad(ePhoff, "no PT_LOAD segment with memory: the dump holds no RAM");
    }
    loads.sort(Comparator.comparing(ProgramHeader::pPaddr, Long::compareUnsigned));
    List<MappedFileMemory.Extent> extents = new ArrayList<>(loads.size());
    for (int i = 0; i < loads.size(); i++) {
      ProgramHeader ph = loads.get(i);
      if (i > 0) {
        ProgramHeader prev = loads.get(i - 1);
        if (Long.compareUnsigned(ph.pPaddr(), prev.pPaddr() + prev.pMemsz()) < 0) {
          throw bad(ph.headerOffset(), String.format(
              "PT_LOAD [0x%x-0x%x) overlaps PT_LOAD [0x%x-0x%x)",
              ph.pPaddr(), ph.pPaddr() + ph.pMemsz(), prev.pPaddr(), prev.pPaddr() + prev.pMemsz()));
        }
      }
      extents.add(new MappedFileMemory.Extent(ph.pPaddr(), ph.pMemsz(), ph.pOffset(), ph.pFilesz()));
    }
    return new Dump(path, DumpFormat.ELF, Optional.of(elfClass), eMachine, new MappedFileMemory(file, extents, FileDataExtents.of(path, size).orElse(null)), List.copyOf(loads),
        List.copyOf(textLoads), List.copyOf(notes), List.copyOf(prStatus), List.copyOf(qemu),
        Optional.ofNullable(vmcoreInfo), arena);
  }

  private ProgramHeader programHeader(long at, boolean is64) {
    if (is64) {
      return new ProgramHeader(at, (int) in.u32(at), (int) in.u32(at + 4), in.u64(at + 8), in.u64(at + 16), in.u64(at + 24),
          in.u64(at + 32), in.u64(at + 40), in.u64(at + 48));
    }
    return new ProgramHeader(at, (int) in.u32(at), (int) in.u32(at + 24), in.u32(at + 4), in.u32(at + 8), in.u32(at + 12),
        in.u32(at + 16), in.u32(at + 20), in.u32(at + 28));
  }

  private void checkLoad(ProgramHeader ph) {
    long h = ph.headerOffset();
    if (Long.compareUnsigned(ph.pFilesz(), ph.pMemsz()) > 0) {
      throw bad(h, String.format("PT_LOAD p_filesz 0x%x exceeds p_memsz 0x%x", ph.pFilesz(), ph.pMemsz()));
    }
    checkFileRange(ph, "PT_LOAD");
    if (ph.pMemsz() != 0) {
      long last = ph.pPaddr() + ph.pMemsz() - 1;
      if (Long.compareUnsigned(last, ph.pPaddr()) < 0) {
        throw bad(h, String.format("PT_LOAD p_paddr 0x%x + p_memsz 0x%x wraps past 2^64", ph.pPaddr(), ph.pMemsz()));
      }
      if (Long.compareUnsigned(last, PHYSICAL_LIMIT) >= 0) {
        throw bad(h, String.format(
            "PT_LOAD p_paddr 0x%x + p_memsz 0x%x reaches past 2^52, the largest x86 physical address space",
            ph.pPaddr(), ph.pMemsz()));
      }
    }
  }

  private void checkFileRange(ProgramHeader ph, String what) {
    if (Long.compareUnsigned(ph.pOffset() + ph.pFilesz(), ph.pOffset()) < 0) {
      throw bad(ph.headerOffset(), String.format(
          "%s p_offset 0x%x + p_filesz 0x%x overflows 64 bits", what, ph.pOffset(), ph.pFilesz()));
    }
    if (!fits(ph.pOffset(), ph.pFilesz())) {
      throw bad(ph.headerOffset(), String.format(
          "%s p_offset 0x%x + p_filesz 0x%x is past the end of the file (size 0x%x)", what, ph.pOffset(), ph.pFilesz(), size));
    }
  }

  /** Whether {@code [offset, offset+length)} lies inside the file; unsigned, no wrap. */
  private boolean fits(long offset, long length) {
    return Long.compareUnsigned(offset, size) <= 0 && Long.compareUnsigned(length, size - offset) <= 0;
  }

  private MalformedDumpException bad(long offset, String problem) {
    return new MalformedDumpException(name, offset, problem);
  }
}
