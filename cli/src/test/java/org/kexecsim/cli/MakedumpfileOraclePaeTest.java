package org.kexecsim.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.kexecsim.testing.ExternalOracles;

/**
 * {@link MakedumpfileOracleTest} on a crashed PAE kernel's vmcore (ELF32), converted by Debian's
 * i386 makedumpfile, the only build that reads i386 dumps: its kdump files have the ILP32 layout
 * (32-bit longs and timeval in the headers). Every command must answer as on the ELF vmcore.
 */
class MakedumpfileOraclePaeTest extends MakedumpfileOracleTest {
  MakedumpfileOraclePaeTest() {
    arch = "pae";
    text = "0xc1000000"; // PAGE_OFFSET 0xc0000000 + the image at 16 MiB
    direct = "0xc0100000";
    direct64m = "0xc4000000";
  }

  @Override
  void findTool() {
    tool = ExternalOracles.makedumpfileI386().map(Path::toString).orElse(null);
    assumeTrue(tool != null, "Debian's i386 makedumpfile is not unpacked or cannot run (scripts/real-dump-inputs.sh, .ci/run)");
  }
}
