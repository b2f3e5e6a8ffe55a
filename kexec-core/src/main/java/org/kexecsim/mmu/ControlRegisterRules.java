package org.kexecsim.mmu;

import org.kexecsim.memory.PhysicalMemory;

/**
 * Which writes to CR0, CR3, CR4 and EFER are legal in which mode, and what they do to the rest
 * of the paging state (SDM Vol. 2 "MOV—Move to/from Control Registers" and "WRMSR", Vol. 3A
 * §2.5, §4.1.1–4.1.2, §4.4.1, §9.8.5). Pure: the outcome depends only on the arguments, the
 * memory being read only for the PDPTE load of PAE paging.
 *
 * <p>Where QEMU differs (it never checks PAE PDPTEs, lets 64-bit code clear CR0.PG and ignores
 * PG with LME=1 and PAE=0), this follows the SDM.
 */
public final class ControlRegisterRules {
  private ControlRegisterRules() {}

  /** PDPTE bits that must be 0 when P=1: R/W, U/S, A, D, PS, G (SDM §4.4.1, Table 4-8). */
  static final long PDPTE_RESERVED_LOW = 0x1E6L;

  /**
   * Applies a write of {@code value} to {@code register} on a CPU of {@code model}: under {@link
   * CpuModel#QEMU} the PAE PDPTEs are not checked when they load (QEMU re-reads and checks them on
   * each walk instead).
   *
   * @param current the state before the write
   * @param in64BitMode whether the CPU executes in 64-bit mode (LMA=1 and CS.L=1)
   * @param cpl the current privilege level; control registers need CPL 0
   */
  public static ControlWrite write(
      ControlState current,
      ControlRegister register,
      long value,
      boolean in64BitMode,
      int cpl,
      PhysicalMemory memory,
      CpuFeatures features,
      CpuModel model) {
    if (cpl != 0) {
      return gp("writing " + register + " needs CPL 0 (SDM Vol. 2 MOV CRn, WRMSR)");
    }
    ReservedBitPolicy pdptes = model.cachesPdptes() ? ReservedBitPolicy.FAULT : ReservedBitPolicy.REPORT;
    return switch (register) {
      case CR0 -> writeCr0(current, value, in64BitMode, memory, features, pdptes);
      case CR3 -> writeCr3(current, value, memory, features, pdptes);
      case CR4 -> writeCr4(current, value, memory, features, pdptes);
      case EFER -> writeEfer(current, value);
    };
  }

  private static ControlWrite writeCr0(ControlState s, long value, boolean in64BitMode, PhysicalMemory memory,
      CpuFeatures features, ReservedBitPolicy pdptes) {
    if ((value >>> 32) != 0) {
      return gp("CR0 bits 63:32 are reserved");
    }
    boolean pg = (value & Cr0.PG) != 0;
    boolean wasPg = (s.cr0() & Cr0.PG) != 0;
    if (pg && (value & Cr0.PE) == 0) {
      return gp("setting CR0.PG needs CR0.PE (SDM §2.5)");
    }
    if ((value & Cr0.NW) != 0 && (value & Cr0.CD) == 0) {
      return gp("CR0.NW=1 with CD=0 is invalid (SDM §2.5)");
    }
    long efer = s.efer();
    if (wasPg && !pg) {
      // SDM §4.1.2 / §9.8.5.4: paging can be turned off in compatibility mode, never in 64-bit mode.
      if (in64BitMode) {
        return gp("clearing CR0.PG in 64-bit mode (SDM §9.8.5.4; leave via compatibility mode)");
      }
      if ((s.cr4() & Cr4.PCIDE) != 0) {
        return gp("clearing CR0.PG with CR4.PCIDE=1 (SDM §4.10.1)");
      }
      efer &= ~Efer.LMA;
    }
    if (!wasPg && pg && (efer & Efer.LME) != 0) {
      // SDM §9.8.5: IA-32e mode is activated by setting PG with LME=1; it needs PAE.
      if ((s.cr4() & Cr4.PAE) == 0) {
        return gp("setting CR0.PG with EFER.LME=1 and CR4.PAE=0 (SDM §9.8.5)");
      }
      efer |= Efer.LMA;
    }
    ControlState next = new ControlState(value, s.cr3(), s.cr4(), efer, s.pdptes());
    long changed = value ^ s.cr0();
    if (next.paePagingActive() && (changed & (Cr0.PG | Cr0.CD | Cr0.NW)) != 0) {
      return loadPdptes(next, memory, features, pdptes);
    }
    return new ControlWrite.Accepted(next);
  }

  private static ControlWrite writeCr3(
      ControlState s, long value, PhysicalMemory memory, CpuFeatures features, ReservedBitPolicy policy) {
    long cr3;
    if (s.longModeActive()) {
      long v = value;
      if ((s.cr4() & Cr4.PCIDE) != 0) {
        v &= ~(1L << 63); // bit 63 asks to keep the PCID's TLB entries; it is not stored (§4.10.4.1)
      }
      if ((v >>> features.maxPhyAddr()) != 0) {
        return gp(String.format(
            "CR3 0x%x sets bits above MAXPHYADDR %d (SDM Vol. 2 MOV CR3)", value, features.maxPhyAddr()));
      }
      cr3 = v;
    } else {
      cr3 = value & 0xFFFF_FFFFL; // outside IA-32e mode the operand is 32 bits
    }
    ControlState next = new ControlState(s.cr0(), cr3, s.cr4(), s.efer(), s.pdptes());
    if (next.paePagingActive()) {
      return loadPdptes(next, memory, features, policy);
    }
    return new ControlWrite.Accepted(next);
  }

  private static ControlWrite writeCr4(
      ControlState s, long value, PhysicalMemory memory, CpuFeatures features, ReservedBitPolicy pdptes) {
    if ((value & ~Cr4.SUPPORTED) != 0) {
      return gp(String.format("CR4 0x%x sets reserved bits 0x%x", value, value & ~Cr4.SUPPORTED));
    }
    long changed = value ^ s.cr4();
    if (s.longModeActive()) {
      if ((value & Cr4.PAE) == 0) {
        return gp("clearing CR4.PAE while IA-32e mode is active (SDM §4.1.2)");
      }
      if ((changed & Cr4.LA57) != 0) {
        return gp("changing CR4.LA57 while IA-32e mode is active (SDM §4.1.2)");
      }
    }
    if ((changed & value & Cr4.PCIDE) != 0) {
      if (!s.longModeActive()) {
        return gp("setting CR4.PCIDE outside IA-32e mode (SDM §4.10.1)");
      }
      if ((s.cr3() & 0xFFF) != 0) {
        return gp("setting CR4.PCIDE with CR3[11:0] != 0 (SDM §4.10.1)");
      }
    }
    ControlState next = new ControlState(s.cr0(), s.cr3(), value, s.efer(), s.pdptes());
    if (next.paePagingActive() && (changed & (Cr4.PAE | Cr4.PGE | Cr4.PSE | Cr4.SMEP)) != 0) {
      return loadPdptes(next, memory, features, pdptes);
    }
    return new ControlWrite.Accepted(next);
  }

  private static ControlWrite writeEfer(ControlState s, long value) {
    if ((value & ~Efer.SUPPORTED) != 0) {
      return gp(String.format("EFER 0x%x sets reserved bits", value));
    }
    boolean paging = (s.cr0() & Cr0.PG) != 0;
    if (paging && ((value ^ s.efer()) & Efer.LME) != 0) {
      return gp("changing EFER.LME while CR0.PG=1 (SDM §9.8.5)");
    }
    long efer = (value & ~Efer.LMA) | (s.efer() & Efer.LMA); // LMA is read-only to WRMSR
    return new ControlWrite.Accepted(new ControlState(s.cr0(), s.cr3(), s.cr4(), efer, s.pdptes()));
  }

  /**
   * SDM §4.4.1: loads the four PDPTEs from the 32-byte-aligned PDPT at CR3[31:5]; a present one
   * with a reserved bit set makes the MOV fault with #GP(0) and nothing is loaded.
   */
  static ControlWrite loadPdptes(ControlState next, PhysicalMemory memory, CpuFeatures features) {
    return loadPdptes(next, memory, features, ReservedBitPolicy.FAULT);
  }

  static ControlWrite loadPdptes(
      ControlState next, PhysicalMemory memory, CpuFeatures features, ReservedBitPolicy policy) {
    long pdpt = PagingMode.PAE.rootTable(next.cr3());
    long reserved = PDPTE_RESERVED_LOW | -(1L << features.maxPhyAddr());
    long[] e = new long[4];
    for (int i = 0; i < 4; i++) {
      e[i] = memory.readU64(pdpt + 8L * i);
      if (policy.faults() && (e[i] & PageTableEntry.P) != 0 && (e[i] & reserved) != 0) {
        return gp(String.format(
            "PDPTE %d = 0x%016x at 0x%x sets reserved bits 0x%x (SDM §4.4.1)",
            i, e[i], pdpt + 8L * i, e[i] & reserved));
      }
    }
    return new ControlWrite.Accepted(new ControlState(
        next.cr0(), next.cr3(), next.cr4(), next.efer(), new Pdptes(e[0], e[1], e[2], e[3])));
  }

  /**
   * The state after loading {@code cr0, cr3, cr4, efer} into a CPU that is already in that mode,
   * as a debugger or the translate command sets it up: PDPTEs are loaded (and checked) when the
   * result is PAE paging, EFER.LMA follows CR0.PG and EFER.LME.
   */
  public static ControlWrite establish(
      long cr0, long cr3, long cr4, long efer, PhysicalMemory memory, CpuFeatures features) {
    return establish(cr0, cr3, cr4, efer, memory, features, ReservedBitPolicy.FAULT);
  }

  /**
   * As {@link #establish(long, long, long, long, PhysicalMemory, CpuFeatures)}; under {@link
   * ReservedBitPolicy#REPORT} the PAE PDPTEs are loaded whatever reserved bits they set (the walk
   * then records them), because a dump shows what its machine ran with.
   */
  public static ControlWrite establish(long cr0, long cr3, long cr4, long efer, PhysicalMemory memory,
      CpuFeatures features, ReservedBitPolicy policy) {
    long lma = ((cr0 & Cr0.PG) != 0 && (efer & Efer.LME) != 0) ? Efer.LMA : 0;
    if (lma != 0 && (cr4 & Cr4.PAE) == 0) {
      return gp("CR0.PG with EFER.LME=1 and CR4.PAE=0 (SDM §9.8.5)");
    }
    ControlState s = new ControlState(cr0, 0, cr4, (efer & ~Efer.LMA) | lma, Pdptes.NONE);
    if ((cr0 & Cr0.PG) != 0 && (cr0 & Cr0.PE) == 0) {
      return gp("CR0.PG without CR0.PE (SDM §2.5)");
    }
    if ((cr4 & ~Cr4.SUPPORTED) != 0) {
      return gp(String.format("CR4 0x%x sets reserved bits", cr4));
    }
    if ((efer & ~Efer.SUPPORTED) != 0) {
      return gp(String.format("EFER 0x%x sets reserved bits", efer));
    }
    return writeCr3(s, cr3, memory, features, policy);
  }

  private static ControlWrite gp(String rule) {
    return new ControlWrite.Refused(ExceptionVector.GP, 0, rule);
  }
}
