package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ExceptionVector;

/**
 * How the CPU takes an exception or interrupt (SDM Vol. 3A chapter 6): the IDT gate checks, the
 * frame it pushes, and the escalation of a second exception to #DF and shutdown (§6.15). The
 * instruction's fault reaches it from {@link Cpu#step}; an NMI from {@link Cpu#deliverNmi}.
 */
final class ExceptionDelivery {
  private final Cpu cpu;

  ExceptionDelivery(Cpu cpu) {
    this.cpu = cpu;
  }

  /**
   * Delivers {@code first} and whatever its delivery raises, applying SDM §6.15 (Tables 6-4, 6-5):
   * contributory+contributory and #PF+(contributory or #PF) become #DF; a benign first exception
   * lets the second be handled serially; anything raised while delivering #DF shuts down.
   */
  void raise(CpuFault first, long returnRip, boolean software) {
    ExceptionVector vector = first.vector;
    int code = first.errorCode;
    cpu.record(new ExceptionEvent(vector, code, returnRip, cpu.cr2, null, first.rule));
    while (true) {
      try {
        deliver(vector, code, !software, returnRip, software);
        return;
      } catch (CpuFault second) {
        cpu.record(new ExceptionEvent(second.vector, second.errorCode, returnRip, cpu.cr2, vector, second.rule));
        if (vector == ExceptionVector.DF) {
          cpu.stop(RunState.TRIPLE_FAULT, "triple fault: " + second.vector.mnemonic() + " while delivering #DF (SDM §6.15: shutdown)");
          return;
        }
        if (doubleFault(vector, second.vector)) {
          ExceptionVector delivering = vector;
          vector = ExceptionVector.DF;
          code = 0; // #DF pushes error code 0 (SDM §6.15 interrupt 8)
          cpu.record(new ExceptionEvent(vector, 0, returnRip, cpu.cr2, null,
              second.vector.mnemonic() + " while delivering " + delivering.mnemonic() + " (SDM §6.15 Table 6-5)"));
        } else {
          vector = second.vector;
          code = second.errorCode;
        }
        software = false;
      } catch (PhysicalAccessException e) {
        cpu.stop(RunState.STOPPED, "physical access outside RAM during exception delivery: " + e.getMessage());
        return;
      }
    }
  }

  static boolean doubleFault(ExceptionVector first, ExceptionVector second) {
    return switch (first.kind()) {
      case CONTRIBUTORY -> second.kind() == ExceptionVector.Kind.CONTRIBUTORY;
      case PAGE_FAULT -> second.kind() == ExceptionVector.Kind.CONTRIBUTORY || second.kind() == ExceptionVector.Kind.PAGE_FAULT;
      case BENIGN, DOUBLE_FAULT -> false;
    };
  }


  /**
   * Delivers vector {@code n} through the IDT (SDM §6.10–6.14): the gate must lie within the IDT
   * limit (8n+7 legacy, 16n+15 IA-32e), else #GP(8n+2+EXT); it must be an interrupt or trap
   * gate, present, and point to a present code segment at the current privilege level. The frame
   * is pushed on the current stack; privilege changes (TSS stack switch) and IST are not modelled.
   */
  private void deliver(ExceptionVector vector, int errorCode, boolean ext, long returnRip, boolean software) {
    int n = vector.number();
    int idtError = n * 8 + 2 + (ext ? 1 : 0);
    boolean ia32e = cpu.longModeActive();
    int gateSize = ia32e ? 16 : 8;
    if ((long) n * gateSize + gateSize - 1 > cpu.idtrLimit) {
      throw CpuFault.gp(idtError, String.format("IDT vector %d needs %s <= IDTR.limit 0x%x (SDM §6.10, §6.14.1)",
          n, ia32e ? "16n+15" : "8n+7", cpu.idtrLimit));
    }
    long gateAddress = cpu.idtrBase + (long) n * gateSize;
    long lo = cpu.linear.readLinear(gateAddress, 8, Access.READ);
    long hi = ia32e ? cpu.linear.readLinear(gateAddress + 8, 8, Access.READ) : 0;
    int type = (int) (lo >>> 40) & 0xF;
    int dpl = (int) (lo >>> 45) & 3;
    if (type != 0xE && type != 0xF) {
      throw CpuFault.gp(idtError, String.format("IDT entry %d has type 0x%x, not a %s interrupt/trap gate (task and 16-bit gates not modelled)", n, type, ia32e ? "64-bit" : "32-bit"));
    }
    if (software && dpl < cpu.cpl()) {
      throw CpuFault.gp(n * 8 + 2, "software interrupt through a gate with DPL < CPL (SDM §6.12.1.1)");
    }
    if (((lo >>> 47) & 1) == 0) {
      throw new CpuFault(ExceptionVector.NP, idtError, "IDT gate " + n + " not present (SDM §6.12.1)");
    }
    int selector = (int) (lo >>> 16) & 0xFFFF;
    long offset = (lo & 0xFFFF) | ((lo >>> 32) & 0xFFFF_0000L) | (ia32e ? (hi & 0xFFFF_FFFFL) << 32 : 0);
    int extBit = ext ? 1 : 0;
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(extBit, "IDT gate " + n + " has a null code selector");
    }
    long raw = cpu.segmentation.readDescriptor(selector, extBit);
    SegmentCache cs = SegmentCache.fromDescriptor(selector & ~3 | cpu.cpl(), raw);
    if (!cs.code()) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "IDT gate " + n + " selector is not a code segment");
    }
    if (cs.dpl() != cpu.cpl() && !cs.conforming()) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "handler at another privilege level needs a TSS stack switch (not modelled)");
    }
    if (!cs.present()) {
      throw new CpuFault(ExceptionVector.NP, (selector & 0xFFFC) | extBit, "handler code segment not present");
    }
    if (ia32e && !(cs.longMode() && !cs.defaultBig())) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "IA-32e interrupt gates must point to 64-bit code (SDM §6.14.1)");
    }
    if (ia32e && ((offset << 16) >> 16) != offset) {
      throw CpuFault.gp(extBit, String.format("handler address 0x%x is not canonical (SDM §6.14.1)", offset));
    }
    long oldCs = cpu.segments[Segment.CS.ordinal()].selector();
    boolean pushCode = vector.pushesErrorCode() && !software;
    long newRsp;
    if (ia32e) {
      // SDM §6.14.2: RSP is aligned to 16 and SS:RSP is pushed even without a privilege change
      long rsp = cpu.gpr[Gpr.RSP] & ~0xFL;
      long[] frame = pushCode
          ? new long[] {cpu.segments[Segment.SS.ordinal()].selector(), cpu.gpr[Gpr.RSP], cpu.rflags, oldCs, returnRip, errorCode & 0xFFFF_FFFFL}
          : new long[] {cpu.segments[Segment.SS.ordinal()].selector(), cpu.gpr[Gpr.RSP], cpu.rflags, oldCs, returnRip};
      newRsp = rsp - 8L * frame.length;
      cpu.segmentation.checkCanonicalStack(newRsp);
      for (int i = 0; i < frame.length; i++) {
        cpu.linear.writeLinear(rsp - 8L * (i + 1), 8, frame[i]);
      }
    } else {
      long esp = cpu.gpr[Gpr.RSP] & 0xFFFF_FFFFL;
      long[] frame = pushCode
          ? new long[] {cpu.rflags & 0xFFFF_FFFFL, oldCs, returnRip, errorCode & 0xFFFF_FFFFL}
          : new long[] {cpu.rflags & 0xFFFF_FFFFL, oldCs, returnRip};
      long[] linear = new long[frame.length];
      for (int i = 0; i < frame.length; i++) {
        linear[i] = cpu.segmentation.segmentLinear(Segment.SS, (esp - 4L * (i + 1)) & 0xFFFF_FFFFL, 4, true);
      }
      for (int i = 0; i < frame.length; i++) {
        cpu.linear.writeLinear(linear[i], 4, frame[i]);
      }
      newRsp = (esp - 4L * frame.length) & 0xFFFF_FFFFL;
      if (offset > cs.limit()) {
        throw CpuFault.gp(extBit, "handler offset beyond the code segment limit");
      }
    }
    cpu.segmentation.markAccessed(selector, raw);
    cpu.gpr[Gpr.RSP] = newRsp;
    cpu.segments[Segment.CS.ordinal()] = cs;
    cpu.rip = offset;
    cpu.rflags &= ~(Rflags.TF | Rflags.NT | Rflags.RF | Rflags.VM);
    if (type == 0xE) {
      cpu.rflags &= ~Rflags.IF; // interrupt gates clear IF, trap gates keep it (SDM §6.12.1.3)
    }
  }
}
