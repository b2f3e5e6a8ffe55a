package org.kexecsim.transition;

import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PagingState;

/**
 * The paging state the transition runs with: the crashed kernel's mode with CR0.WP, CR4.PSE and,
 * where the arch has it, EFER.NXE, and a given root in CR3 (for PAE: the PDPTEs loaded and
 * checked as MOV CR3 does, SDM §4.4.1).
 */
final class Paging {
  private Paging() {}

  static ControlWrite load(PhysicalMemory memory, Arch arch, CpuFeatures cpu, long root) {
    long cr0 = Cr0.PE | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG;
    long cr4 = Cr4.PSE | (arch == Arch.I386 ? 0 : Cr4.PAE);
    long efer = switch (arch) {
      case I386 -> 0;
      case PAE -> Efer.NXE;
      case X86_64 -> Efer.LME | Efer.NXE;
    };
    return ControlRegisterRules.establish(cr0, root, cr4, efer, memory, cpu);
  }

  /** As {@link #load}, throwing when the CPU would refuse the root. */
  static PagingState supervisor(PhysicalMemory memory, Arch arch, CpuFeatures cpu, long root) {
    ControlWrite w = load(memory, arch, cpu, root);
    if (w instanceof ControlWrite.Accepted(ControlState s)) {
      return PagingState.of(s, cpu);
    }
    throw new IllegalStateException(String.format("CR3 0x%x does not load: %s", root, w));
  }
}
