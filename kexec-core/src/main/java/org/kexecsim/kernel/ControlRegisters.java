package org.kexecsim.kernel;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PagingState;

/** CR0, CR3, CR4 and EFER of the CPU that crashed, as crash_save_cpu() found them. */
public record ControlRegisters(long cr0, long cr3, long cr4, long efer) {

  /** The paging state these registers give over {@code memory} (PAE: the PDPTEs as loaded now). */
  public PagingState pagingState(PhysicalMemory memory, CpuFeatures features) {
    ControlWrite w = ControlRegisterRules.establish(cr0, cr3, cr4, efer, memory, features);
    if (w instanceof ControlWrite.Accepted(ControlState s)) {
      return PagingState.of(s, features);
    }
    throw new IllegalStateException("the crashed kernel's CR3 does not load: " + w);
  }

  /** The same registers with another root. */
  public ControlRegisters withCr3(long newCr3) {
    return new ControlRegisters(cr0, newCr3, cr4, efer);
  }
}
