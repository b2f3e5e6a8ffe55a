package org.kexecsim.cli;

/**
 * {@link MakedumpfileOraclePaeTest} on a crashed non-PAE i386 kernel's vmcore (2-level paging,
 * 4 MiB pages in the direct map), converted by Debian's i386 makedumpfile.
 */
class MakedumpfileOracleI386Test extends MakedumpfileOraclePaeTest {
  MakedumpfileOracleI386Test() {
    arch = "i386";
  }
}
