package org.kexecsim.analyzer;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.testing.RealDumps;

/**
 * Every rule of {@link RealKdumpVmcoreTest} on the same kernel booted with KASLR on, where the
 * kernel image sits away from its link address (phys_base and KERNELOFFSET not 0) and the direct
 * map is randomized, so a translation that ignored either would land elsewhere.
 */
class RealKdumpVmcoreKaslrTest extends RealKdumpVmcoreTest {
  @Override
  RealDumps.Set dumps() {
    return RealDumps.x86_64Kaslr();
  }

  @Test
  void kaslrReallyMovedTheKernel() throws Exception {
    try (Dump vmcore = ElfCoreReader.open(real.vmcore())) {
      VmcoreInfo info = vmcore.vmcoreInfo().orElseThrow();
      assertNotEquals(0, info.kernelOffset().orElse(0), "KERNELOFFSET");
      assertNotEquals(0, info.number("phys_base").orElse(0), "NUMBER(phys_base)");
      assertNotEquals(real.systemMapSymbols().get("linux_banner"), sym.get("linux_banner"), "linux_banner at its link address");
    }
  }
}
