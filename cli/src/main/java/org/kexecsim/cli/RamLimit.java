package org.kexecsim.cli;

import org.kexecsim.input.RejectedInput;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.RamMap;

/** A --ram beyond what a machine of the arch can have: exit 3 naming the limit ({@link Arch#maxRam}). */
final class RamLimit extends RuntimeException implements RejectedInput {
  private RamLimit(String message) {
    super(message);
  }

  static void check(Arch arch, RamMap map) {
    if (Long.compareUnsigned(map.end(), arch.maxRam()) > 0) {
      throw new RamLimit(String.format("--ram: RAM ends at 0x%x (%s), beyond the %s %s %s machine can have (%s)",
          map.end(), ByteSize.format(map.end()), ByteSize.format(arch.maxRam()), arch == Arch.PAE ? "a" : "an", arch.cliName(), reason(arch)));
    }
  }

  private static String reason(Arch arch) {
    return switch (arch) {
      case X86_64 -> "its 4-level direct map, Documentation/arch/x86/x86_64/mm.rst";
      case PAE -> "36-bit physical addresses, HIGHMEM64G";
      case I386 -> "36-bit physical addresses; its non-PAE kernel uses the low 4 GiB, arch/x86/mm/init_32.c";
    };
  }
}
