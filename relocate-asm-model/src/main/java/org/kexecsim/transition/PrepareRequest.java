package org.kexecsim.transition;

import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;

/**
 * One prepare run: boot a synthetic kernel, load an image, build a design's tables.
 *
 * @param crashkernel the crashkernel= value, if any
 * @param controlPage a control page placed by the caller instead of the allocator
 * @param switchVirtual the VA the switching code runs at, instead of the design's own
 */
public record PrepareRequest(
    Arch arch,
    TransitionDesign design,
    RamMap ram,
    Optional<String> crashkernel,
    ImageType type,
    long seed,
    OptionalLong controlPage,
    OptionalLong switchVirtual) {

  public static PrepareRequest of(Arch arch, TransitionDesign design, RamMap ram, String crashkernel, ImageType type, long seed) {
    return new PrepareRequest(arch, design, ram, Optional.ofNullable(crashkernel), type, seed,
        OptionalLong.empty(), OptionalLong.empty());
  }

  public PrepareRequest withControlPage(long physical) {
    return new PrepareRequest(arch, design, ram, crashkernel, type, seed, OptionalLong.of(physical), switchVirtual);
  }

  public PrepareRequest withSwitchVirtual(long virtual) {
    return new PrepareRequest(arch, design, ram, crashkernel, type, seed, controlPage, OptionalLong.of(virtual));
  }
}
