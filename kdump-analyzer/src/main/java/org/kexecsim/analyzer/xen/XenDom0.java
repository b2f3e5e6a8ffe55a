package org.kexecsim.analyzer.xen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopReport;
import org.kexecsim.analyzer.vtop.VtopResult;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.Note;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.xen.P2m;
import org.kexecsim.xen.P2mFrames;
import org.kexecsim.xen.XenMachine;
import org.kexecsim.xen.XenCrashNotes;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * dom0 in a Xen host's vmcore, the way makedumpfile finds it (makedumpfile.c
 * get_xen_info()/arch/x86_64.c: the "Xen" notes, then the p2m through
 * dom0_pfn_to_mfn_frame_list_list): CR3 from XEN_ELFNOTE_CRASH_REGS of the crashing CPU (it was
 * running dom0, and a PV guest's tables hold machine frames, so an ordinary walk over machine
 * memory translates dom0's addresses), the p2m from XEN_ELFNOTE_CRASH_INFO, which names every
 * machine address's pseudo-physical one.
 *
 * @param longBytes the hypervisor's unsigned long: 8 with EM_X86_64, 4 with EM_386 (PAE Xen)
 */
public record XenDom0(XenCrashNotes.CrashRegs regs, XenCrashNotes.CrashInfo info, P2m p2m, PagingContext paging,
    int longBytes) {

  /** @throws AnalysisException BAD_INPUT when the dump has no Xen crash notes or they are wrong */
  public static XenDom0 of(Dump dump) {
    if (!dump.isElf()) {
      throw bad(dump, "Xen's crash notes are read from an ELF vmcore; this is " + dump.format());
    }
    int width = dump.eMachine() == Dump.EM_X86_64 ? 8 : 4;
    XenCrashNotes.CrashRegs regs = null;
    XenCrashNotes.CrashInfo info = null;
    for (Note n : dump.notes()) {
      if (!n.name().equals(XenCrashNotes.NAME)) {
        continue;
      }
      try {
        if (n.nType() == XenCrashNotes.CRASH_REGS && regs == null) {
          regs = XenCrashNotes.CrashRegs.parse(desc(dump, n, XenCrashNotes.CrashRegs.bytes(width)), width);
        } else if (n.nType() == XenCrashNotes.CRASH_INFO && info == null) {
          info = XenCrashNotes.CrashInfo.parse(desc(dump, n, XenCrashNotes.CrashInfo.bytes(width)), width);
        }
      } catch (IllegalArgumentException e) {
        throw bad(dump, String.format("the note at file offset 0x%x: %s", n.headerOffset(), e.getMessage()));
      }
    }
    if (regs == null || info == null) {
      throw bad(dump, "no Xen crash notes (\"Xen\" XEN_ELFNOTE_CRASH_REGS and XEN_ELFNOTE_CRASH_INFO): not a Xen host's vmcore");
    }
    PhysicalMemory memory = dump.physicalMemory();
    P2m p2m;
    try {
      // bounded by what dom0 can be, not only by the RAM the dump claims (zero-filled p_memsz can
      // claim terabytes in a few kilobytes of file)
      long maxPages = Math.min(memory.ramMap().usableBytes(), XenMachine.MAX_DOM0_BYTES) >>> PhysicalMemory.PAGE_SHIFT;
      p2m = P2mFrames.read(memory, info.p2mFrameListListMfn(), width, maxPages);
    } catch (IllegalArgumentException e) {
      throw bad(dump, "dom0's p2m: " + e.getMessage());
    }
    PagingMode mode = width == 8 ? ((regs.cr4() & Cr4.LA57) != 0 ? PagingMode.LEVEL5 : PagingMode.LEVEL4)
        : (regs.cr4() & Cr4.PAE) != 0 ? PagingMode.PAE : PagingMode.BITS32;
    int bits = Math.max(40, 64 - Long.numberOfLeadingZeros(Math.max(1, memory.ramMap().end() - 1)));
    final XenCrashNotes.CrashRegs r = regs;
    PagingState state = LinuxControl.of(mode).load(regs.cr3(), memory, CpuFeatures.withMaxPhyAddr(bits))
        .orThrow(refused -> bad(dump, String.format("dom0's CR3 0x%x from XEN_ELFNOTE_CRASH_REGS does not load: %s", r.cr3(), refused)));
    return new XenDom0(regs, info, p2m, new PagingContext(state, "XEN_ELFNOTE_CRASH_REGS cr3 (dom0's pgd)",
        width == 8 ? "EM_X86_64, CR4 of the note" : "EM_386, CR4 of the note"), width);
  }

  /** vtop through dom0's PV tables: machine addresses, each with its pseudo-physical one in {@link #pseudoPhysical}. */
  public VtopReport translate(PhysicalMemory memory, List<Long> linear) {
    return Vtop.translate(memory, paging, linear);
  }

  /** m2p: the pseudo-physical address dom0 knows a machine address by, or {@link P2m#INVALID}. */
  public long pseudoPhysical(long machine) {
    return p2m.pseudoPhysical(machine);
  }

  /** The header line of a report. */
  public String describe() {
    return String.format("xen dom0: CR3 0x%x (XEN_ELFNOTE_CRASH_REGS), p2m at frame list list mfn 0x%x: %d pfns, xen_phys_start 0x%x",
        regs.cr3(), info.p2mFrameListListMfn(), p2m.pages(), info.xenPhysStart());
  }

  /** A vtop report's text with each machine address's pseudo-physical one. */
  public String toText(VtopReport report, boolean verbose) {
    StringBuilder sb = new StringBuilder(describe()).append(System.lineSeparator()).append(report.toText(verbose));
    for (VtopResult r : report.results()) {
      r.physical().ifPresent(ma -> {
        long pa = pseudoPhysical(ma);
        sb.append(String.format("0x%016x: machine 0x%x = %s%n", r.linear(), ma,
            pa == P2m.INVALID ? "no dom0 pseudo-physical page (not in the p2m)" : String.format("pseudo-physical 0x%x", pa)));
      });
    }
    return sb.toString();
  }

  /** A vtop report's JSON with the xen facts and each translation's pseudo-physical address. */
  public ObjectNode toJson(VtopReport report) {
    ObjectNode n = report.toJson();
    ObjectNode x = n.putObject("xen");
    x.put("cr3", org.kexecsim.analyzer.Hex.of(regs.cr3()));
    x.put("p2mFrameListListMfn", org.kexecsim.analyzer.Hex.of(info.p2mFrameListListMfn()));
    x.put("pfns", p2m.pages());
    x.put("xenPhysStart", org.kexecsim.analyzer.Hex.of(info.xenPhysStart()));
    var translations = n.get("translations");
    for (int i = 0; i < report.results().size(); i++) {
      VtopResult r = report.results().get(i);
      if (r.physical().isPresent()) {
        long pa = pseudoPhysical(r.physical().getAsLong());
        ((ObjectNode) translations.get(i)).put("pseudoPhysical", pa == P2m.INVALID ? null : org.kexecsim.analyzer.Hex.of(pa));
      }
    }
    return n;
  }

  private static byte[] desc(Dump dump, Note n, int expected) {
    if (n.nDescsz() != expected) {
      throw new IllegalArgumentException(String.format("n_descsz %d, expected %d", n.nDescsz(), expected));
    }
    try (FileChannel ch = FileChannel.open(dump.path(), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(expected);
      while (b.hasRemaining()) {
        if (ch.read(b, n.descOffset() + b.position()) < 0) {
          throw new IllegalArgumentException("the descriptor runs past the end of the file");
        }
      }
      return b.array();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static AnalysisException bad(Dump dump, String message) {
    return new AnalysisException(AnalysisException.Kind.BAD_INPUT, message).naming(dump.name());
  }
}
