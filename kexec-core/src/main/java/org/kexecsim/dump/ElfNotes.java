package org.kexecsim.dump;

import static org.kexecsim.dump.ElfConstants.NOTE_HEADER;
import static org.kexecsim.dump.ElfConstants.NT_PRSTATUS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ELF notes of a crash dump, wherever they sit: a PT_NOTE segment of an ELF core, or the note
 * copy a kdump-compressed file keeps after its sub-header (makedumpfile write_kdump_header).
 * Knows the CPU notes (CORE NT_PRSTATUS, QEMU's QEMUCPUState) and VMCOREINFO.
 *
 * @param notes every note, in order
 */
public record ElfNotes(List<Note> notes, List<PrStatus> prStatus, List<QemuCpuState> qemuCpuStates,
    Optional<VmcoreInfo> vmcoreInfo) {
  /** Longest note name read; the known ones ("CORE", "QEMU", "VMCOREINFO") are far shorter. */
  static final long MAX_NAME = 64;
  /** VMCOREINFO is at most 4096 bytes (include/linux/vmcore_info.h); anything over 1 MiB is not one. */
  static final long MAX_VMCOREINFO = 1 << 20;

  /**
   * Parses the notes in {@code [start, start+length)} of {@code seg}, which the caller has checked
   * lies inside it. Offsets in errors are {@code fileBase} plus the offset in {@code seg}.
   */
  public static ElfNotes parse(String file, MemorySegment seg, long start, long length, long fileBase) {
    List<Note> notes = new ArrayList<>();
    List<PrStatus> prStatus = new ArrayList<>();
    List<QemuCpuState> qemu = new ArrayList<>();
    VmcoreInfo vmcoreInfo = null;
    for (Note n : list(file, seg, start, length, fileBase)) {
      notes.add(new Note(n.headerOffset() + fileBase, n.name(), n.nType(), n.descOffset() + fileBase, n.nDescsz()));
      long h = n.headerOffset() + fileBase;
      switch (n.name()) {
        case "CORE" -> {
          if (n.nType() == NT_PRSTATUS) {
            PrStatus.Arch arch = PrStatus.Arch.ofDescSize(n.nDescsz());
            if (arch == null) {
              throw new MalformedDumpException(file, h + 4, String.format(
                  "NT_PRSTATUS n_descsz 0x%x is neither the x86_64 (336) nor the i386 (144) elf_prstatus", n.nDescsz()));
            }
            prStatus.add(PrStatus.read(seg, n.descOffset(), arch));
          }
        }
        case "QEMU" -> {
          if (n.nDescsz() < QemuCpuState.SIZE) {
            throw new MalformedDumpException(file, h + 4, String.format(
                "QEMU note n_descsz 0x%x is shorter than QEMUCPUState (%d bytes)", n.nDescsz(), QemuCpuState.SIZE));
          }
          QemuCpuState s = QemuCpuState.read(seg, n.descOffset());
          if (s.version() != QemuCpuState.VERSION) {
            throw new MalformedDumpException(file, n.descOffset() + fileBase, "QEMUCPUState version " + s.version() + ", expected 1");
          }
          qemu.add(s);
        }
        case VmcoreInfo.NOTE_NAME -> {
          if (n.nDescsz() > MAX_VMCOREINFO) {
            throw new MalformedDumpException(file, h + 4, String.format(
                "VMCOREINFO n_descsz 0x%x is over 1 MiB; the kernel writes at most %d bytes", n.nDescsz(), VmcoreInfo.MAX_BYTES));
          }
          vmcoreInfo = vmcoreInfo(file, seg, n.descOffset(), n.nDescsz(), fileBase);
        }
        default -> {}
      }
    }
    return new ElfNotes(List.copyOf(notes), List.copyOf(prStatus), List.copyOf(qemu), Optional.ofNullable(vmcoreInfo));
  }

  /** VMCOREINFO text at {@code [at, at+length)} of {@code seg}, up to its first NUL. */
  public static VmcoreInfo vmcoreInfo(String file, MemorySegment seg, long at, long length, long fileBase) {
    byte[] text = seg.asSlice(at, length).toArray(ValueLayout.JAVA_BYTE);
    int len = 0;
    while (len < text.length && text[len] != 0) {
      len++;
    }
    return VmcoreInfo.parse(new String(text, 0, len, StandardCharsets.US_ASCII), file, at + fileBase);
  }

  /**
   * The notes of one region, by the ELF gABI: a note may have no name (n_namesz 0) and is then
   * skipped over, not taken as the end, so that what follows it is still read. An all-zero
   * header (the empty note the kernel closes each CPU's crash notes with, kernel/crash_core.c
   * final_note, or padding) carries nothing and is passed over too.
   */
  private static List<Note> list(String file, MemorySegment seg, long start, long length, long fileBase) {
    List<Note> out = new ArrayList<>();
    long pos = start;
    long end = start + length;
    while (end - pos >= NOTE_HEADER) {
      long nNamesz = seg.get(ElfConstants.U32, pos) & 0xFFFF_FFFFL;
      long nDescsz = seg.get(ElfConstants.U32, pos + 4) & 0xFFFF_FFFFL;
      int nType = seg.get(ElfConstants.U32, pos + 8);
      long room = end - pos - NOTE_HEADER;
      if (align4(nNamesz) > room) {
        throw new MalformedDumpException(file, pos + fileBase, String.format("PT_NOTE n_namesz 0x%x exceeds the segment", nNamesz));
      }
      if (align4(nDescsz) > room - align4(nNamesz)) {
        throw new MalformedDumpException(file, pos + 4 + fileBase, String.format("PT_NOTE n_descsz 0x%x exceeds the segment", nDescsz));
      }
      // A longer name than any known one is read as empty, so a hostile n_namesz cannot make us copy gigabytes.
      byte[] nameBytes = nNamesz > MAX_NAME ? new byte[0] : seg.asSlice(pos + NOTE_HEADER, nNamesz).toArray(ValueLayout.JAVA_BYTE);
      int len = nameBytes.length;
      while (len > 0 && nameBytes[len - 1] == 0) {
        len--;
      }
      long descOffset = pos + NOTE_HEADER + align4(nNamesz);
      if (nNamesz == 0 && nDescsz == 0 && nType == 0) {
        pos = descOffset;
        continue;
      }
      out.add(new Note(pos, new String(nameBytes, 0, len, StandardCharsets.US_ASCII), nType, descOffset, nDescsz));
      pos = descOffset + align4(nDescsz);
    }
    return out;
  }

  private static long align4(long v) {
    return (v + 3) & ~3L;
  }
}
