package org.kexecsim.transition;

import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PagingLoad;
import org.kexecsim.mmu.PagingState;

/**
 * The paging state the transition runs with: Linux's registers for the crashed kernel's mode
 * ({@link LinuxControl}) and a given root in CR3 (for PAE: the PDPTEs loaded and
 * checked as MOV CR3 does, SDM §4.4.1).
 */
final class Paging {
  private Paging() {}

  static PagingLoad load(PhysicalMemory memory, Arch arch, CpuFeatures cpu, long root) {
    return LinuxControl.of(arch.pagingMode()).load(root, memory, cpu);
  }

  /** As {@link #load}, throwing when the CPU would refuse the root. */
  static PagingState supervisor(PhysicalMemory memory, Arch arch, CpuFeatures cpu, long root) {
    return load(memory, arch, cpu, root)
        .orThrow(r -> new IllegalStateException(String.format("CR3 0x%x does not load: %s", root, r)));
  }
}
