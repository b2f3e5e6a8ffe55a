package org.kexecsim.cpu;

import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Imm;
import org.kexecsim.isa.Instruction;
import org.kexecsim.isa.Mem;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.ControlRegister;
import org.kexecsim.mmu.Efer;

/** System instructions: MOV to/from CRn and segment registers, LGDT/LIDT, PUSHF/POPF, RDMSR/WRMSR, CPUID. */
final class SystemUnit extends ExecutionUnit {
  SystemUnit(CpuState st) {
    super(st);
  }

  /** LGDT/LIDT from a pseudo-descriptor: 2-byte limit, then the base. */
  void loadTable(Instruction.LoadTable lt) {
    st.requireCpl0("LGDT/LIDT");
    Segment seg = lt.source().effectiveSegment();
    long ea = st.effectiveAddress(lt.source());
    int limit = (int) cpu.read(seg, ea, 2);
    // 64-bit mode: 10-byte operand whatever the operand size; else a 32-bit base (SDM Vol. 2 LGDT)
    long base = st.bits() == 64 ? cpu.read(seg, ea + 2, 8) : cpu.read(seg, ea + 2, 4);
    if (lt.idt()) {
      cpu.setIdtr(base, limit);
    } else {
      cpu.setGdtr(base, limit);
    }
  }

  /**
   * INVLPG: CPL 0; the operand's linear address (its segment applied, no access made) names the
   * page (SDM Vol. 2 INVLPG).
   */
  void invlpg(Instruction.Invlpg iv) {
    st.requireCpl0("INVLPG");
    Segment seg = iv.target().effectiveSegment();
    long ea = st.effectiveAddress(iv.target());
    long la = cpu.in64BitMode() ? (seg == Segment.FS || seg == Segment.GS ? cpu.segment(seg).base() + ea : ea)
        : (cpu.segment(seg).base() + (ea & 0xFFFF_FFFFL)) & 0xFFFF_FFFFL;
    cpu.invalidatePage(la);
  }

  /** PUSHF/POPF: VM and RF read as 0; POPF writes only the flags POPF may change (SDM Vol. 2 PUSHF, POPF). */
  void flags(Instruction.Flags f) {
    if (f.push()) {
      st.push(f.size(), cpu.rflags & ~(Rflags.VM | Rflags.RF));
    } else {
      long v = st.pop(f.size(), 0);
      st.setRsp(st.stackPointer() + f.size());
      st.loadFlags(v, Rflags.POPF_MASK);
    }
  }

  void movControl(Instruction.MovControl c) {
    st.requireCpl0("MOV CRn"); // SDM Vol. 2 MOV CRn: #GP(0) if CPL > 0
    int n = c.gpr().number();
    if (!c.toControl()) {
      long v = switch (c.control()) {
        case 0 -> cpu.control.cr0();
        case 2 -> cpu.cr2;
        case 3 -> cpu.control.cr3();
        default -> cpu.control.cr4();
      };
      st.setReg(n, st.slot(), v);
      return;
    }
    long v = CpuState.mask(st.gpr[n], st.slot()); // outside 64-bit mode the operand is 32 st.bits()
    switch (c.control()) {
      case 0 -> cpu.writeControl(ControlRegister.CR0, v);
      case 2 -> cpu.cr2 = v;
      case 3 -> cpu.writeControl(ControlRegister.CR3, v);
      default -> cpu.writeControl(ControlRegister.CR4, v);
    }
  }

  void msr(boolean write) {
    st.requireCpl0(write ? "WRMSR" : "RDMSR");
    long ecx = st.gpr[Gpr.RCX] & 0xFFFF_FFFFL;
    if (ecx != (Efer.MSR & 0xFFFF_FFFFL)) {
      throw CpuFault.gp(0, String.format("MSR 0x%x is not modelled (only EFER)", ecx));
    }
    if (write) {
      long v = (st.gpr[Gpr.RAX] & 0xFFFF_FFFFL) | (st.gpr[Gpr.RDX] << 32);
      cpu.writeControl(ControlRegister.EFER, v);
    } else {
      long efer = cpu.control.efer();
      st.gpr[Gpr.RAX] = efer & 0xFFFF_FFFFL;
      st.gpr[Gpr.RDX] = efer >>> 32;
    }
  }

  /**
   * CPUID (SDM Vol. 2 CPUID): the leaves a relocate routine or boot code may ask, describing the
   * modelled CPU. Leaves past the maximum return zeros (AMD's behaviour; Intel CPUs repeat the
   * highest basic leaf instead). The vendor string is the model's own.
   */
  void cpuid() {
    long leaf = st.gpr[Gpr.RAX] & 0xFFFF_FFFFL;
    long eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (leaf == 0) {
      eax = 7;
      ebx = le("KexecSimCPU!".substring(0, 4)); // EBX, EDX, ECX spell the vendor, in that order
      edx = le("KexecSimCPU!".substring(4, 8));
      ecx = le("KexecSimCPU!".substring(8, 12));
    } else if (leaf == 1) {
      // EDX: FPU(0) PSE(3) MSR(5) PAE(6) PGE(13) PSE-36(17)
      edx = 1L | 1L << 3 | 1L << 5 | 1L << 6 | 1L << 13 | 1L << 17;
    } else if (leaf == 7) {
      ecx = 1L << 16; // LA57 (SDM Vol. 2 CPUID leaf 07H ECX[16])
    } else if (leaf == 0x8000_0000L) {
      eax = 0x8000_0008L;
    } else if (leaf == 0x8000_0001L) {
      edx = 1L << 20 | 1L << 29 | (cpu.features.page1Gb() ? 1L << 26 : 0); // NX, LM, Page1GB
    } else if (leaf == 0x8000_0008L) {
      eax = cpu.features.maxPhyAddr() | 57 << 8; // physical and linear address st.bits()
    }
    st.gpr[Gpr.RAX] = eax;
    st.gpr[Gpr.RBX] = ebx;
    st.gpr[Gpr.RCX] = ecx;
    st.gpr[Gpr.RDX] = edx;
  }

  private static long le(String four) {
    long v = 0;
    for (int i = 3; i >= 0; i--) {
      v = v << 8 | four.charAt(i);
    }
    return v;
  }

  void movSegment(Instruction.MovSegment s) {
    if (s.toSegment()) {
      int selector = (int) st.read(s.other(), 2);
      cpu.segmentation.loadDataSegment(s.segment(), selector);
      return;
    }
    int selector = cpu.segment(s.segment()).selector();
    switch (s.other()) {
      // 16-bit destination: low 16 st.bits() only; 32/64-bit: zero-extended (SDM Vol. 2 MOV, P6 family and later)
      case Gpr g -> st.setReg(g.number(), g.size(), selector);
      case Mem m -> cpu.write(m.effectiveSegment(), st.effectiveAddress(m), 2, selector);
      case Imm i -> throw new IllegalStateException();
    }
  }
}
