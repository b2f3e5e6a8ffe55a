package org.kexecsim.kernel;

import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PagingLoad;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;

/** CR0, CR3, CR4 and EFER of the CPU that crashed, as crash_save_cpu() found them. */
public record ControlRegisters(long cr0, long cr3, long cr4, long efer) {

  /** The paging state these registers give over {@code memory} (PAE: the PDPTEs as loaded now). */
  public PagingState pagingState(PhysicalMemory memory, CpuFeatures features) {
    return PagingLoad.of(cr0, cr3, cr4, efer, memory, features)
        .orThrow(r -> new IllegalStateException("the crashed kernel's CR3 does not load: " + r));
  }

  /** Linux's registers for {@code mode} ({@link LinuxControl}) with {@code cr3}. */
  public static ControlRegisters linux(PagingMode mode, long cr3) {
    LinuxControl c = LinuxControl.of(mode);
    return new ControlRegisters(c.cr0(), cr3, c.cr4(), c.efer());
  }

  /** The same registers with another root. */
  public ControlRegisters withCr3(long newCr3) {
    return new ControlRegisters(cr0, newCr3, cr4, efer);
  }
}
