package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 item 5: sizes and addresses no machine has are bad usage, exit 2, one line naming the option. */
class OptionRangesTest {
  @TempDir Path dir;

  private static void refused(String line, String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(2, r.exitCode(), r.err());
    assertEquals("kexec-sim: " + line + "\n", r.err());
    assertEquals("", r.out(), "refused before any work");
  }

  @Test
  void ramThatNoMachineOfTheArchHasIsRefused() {
    refused("--ram must be positive (see: kexec-sim transition --help)",
        "transition", "--arch", "x86_64", "--design", "mainline", "--ram", "0");
    refused("--ram 4097 is not a whole number of 4 KiB pages (see: kexec-sim transition --help)",
        "transition", "--arch", "x86_64", "--design", "mainline", "--ram", "4097");
    // beyond the arch's limit is bad input, exit 3: RamLimitTest
    refused("Invalid value for option '--ram': '-1' is not a number (see: kexec-sim transition --help)",
        "transition", "--arch", "x86_64", "--design", "mainline", "--ram", "-1");
    refused("--ram must be positive (see: kexec-sim demo --help)", "demo", "--ram", "0");
    refused("--ram must be positive (see: kexec-sim prepare --help)", "prepare", "--arch", "x86_64", "--design", "mainline", "--ram", "0");
    refused("unknown arch 'x86': expected i386, pae or x86_64 (see: kexec-sim prepare --help)", "prepare", "--arch", "x86", "--design", "mainline");
  }

  @Test
  void theLargestRamOfEachArchIsAccepted() {
    // the limits themselves are legal: a 64 TiB x86_64 machine costs only what it touches
    CliRun r = CliRun.of("prepare", "--arch", "x86_64", "--design", "mainline", "--ram", "64T");
    assertEquals(0, r.exitCode(), r.err());
  }

  @Test
  void anOriginOutside32BitCodesAddressSpaceIsRefused() throws Exception {
    Path src = Files.writeString(dir.resolve("a.s"), ".quad 1\n");
    refused("--origin 0x100000000 is outside the 4 GiB address space of 32-bit code (see: kexec-sim asm --help)",
        "asm", "--bits", "32", src.toString(), "--origin", "0x100000000");
    assertEquals(0, CliRun.of("asm", "--bits", "64", src.toString(), "--origin", "0x100000000").exitCode());
  }
}
