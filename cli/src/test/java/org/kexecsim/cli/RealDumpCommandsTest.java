package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.kexecsim.testing.ExternalOracles;
import org.kexecsim.testing.RealDumps;

/**
 * The command a user types, on the capture kernel's /proc/vmcore of Debian's x86_64 kernel that
 * really panicked under QEMU ({@link RealDumps}), answers what libkdumpfile answers on that file.
 */
class RealDumpCommandsTest {

  @Test
  void vtopOnTheRealVmcoreAgreesWithLibkdumpfile() {
    assumeTrue(ExternalOracles.python3Module("kdumpfile"), "python3-libkdumpfile not installed: skipping the cross-check");
    RealDumps.Set real = RealDumps.x86_64();
    long banner = real.symbols().get("linux_banner");
    String va = "0x" + Long.toHexString(banner);
    CliRun r = CliRun.of("vtop", real.vmcore().toString(), va);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("paging: 4level, root "), r.out());
    assertTrue(r.out().contains("VMCOREINFO SYMBOL(init_top_pgt)"), "says where the root came from: " + r.out());
    Matcher m = Pattern.compile(Pattern.quote(va) + " -> (0x[0-9a-f]+)").matcher(r.out());
    assertTrue(m.find(), r.out());
    String oracle = ExternalOracles.python3("""
        import kdumpfile, addrxlat, sys
        k = kdumpfile.kdumpfile(sys.argv[1]); k.attr['addrxlat.ostype'] = 'linux'
        a = addrxlat.FullAddress(addrxlat.KVADDR, int(sys.argv[2], 0))
        a.conv(addrxlat.MACHPHYSADDR, k.get_addrxlat_ctx(), k.get_addrxlat_sys())
        print(hex(a.addr))""", real.vmcore().toString(), va);
    assertEquals(oracle.trim(), m.group(1));
  }
}
