package org.kexecsim.transition;

import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kimage.KImage;

/**
 * What a design works with: the crashed kernel, the loaded image (its control page), and the VA
 * the switching code runs at when the design calls for one (relocate_new_kernel in kernel text
 * for the 2006 designs, __va(control page) for mainline), which a caller may override to place
 * it elsewhere (a hypervisor, a different memory split).
 */
public record TransitionContext(CrashedKernel kernel, KImage image, java.util.OptionalLong switchVirtualOverride) {
  /** The switch VA of the designs that run relocate_kernel where it is linked, in kernel text. */
  public long kernelTextSwitchVirtual() {
    return switchVirtualOverride.orElse(kernel.relocateKernelVirtual());
  }
}
