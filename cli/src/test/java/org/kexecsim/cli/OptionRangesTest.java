package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /** {@code transition --arch x86_64 --design mainline OPTION VALUE} is refused with {@code line}. */
  private static void refusedByTransition(String line, String option, String value) {
    refused(line + " (see: kexec-sim transition --help)", "transition", "--arch", "x86_64", "--design", "mainline", option, value);
  }

  @Test
  void ramThatNoMachineOfTheArchHasIsRefused() {
    refusedByTransition("--ram must be positive", "--ram", "0");
    refusedByTransition("--ram 4097 is not a whole number of 4 KiB pages", "--ram", "4097");
    // beyond the arch's limit is bad input, exit 3: RamLimitTest
    refusedByTransition("Invalid value for option '--ram': '-1' is not a number", "--ram", "-1");
    refused("--ram must be positive (see: kexec-sim demo --help)", "demo", "--ram", "0");
    refused("--ram must be positive (see: kexec-sim prepare --help)", "prepare", "--arch", "x86_64", "--design", "mainline", "--ram", "0");
    refused("unknown arch 'x86': expected i386, pae or x86_64 (see: kexec-sim prepare --help)", "prepare", "--arch", "x86", "--design", "mainline");
  }

  @Test
  void crashConditionsOutOfRangeAreRefusedUnderTheOptionsName() {
    refusedByTransition("--routine-offset: the routine's offset in its page must be in [0, 4096), not 4096", "--routine-offset", "4096");
    // 2^32 would be 0 as an int: the range is checked on the value given
    refusedByTransition("--routine-offset: the routine's offset in its page must be in [0, 4096), not 4294967296", "--routine-offset", "0x100000000");
    refusedByTransition("--nmi-before: the NMI instruction number counts from 1, not 0", "--nmi-before", "0");
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

  /** A raw image of 64 KiB of zeros: tables with nothing present, enough for the range checks. */
  private Path zeros() throws Exception {
    return Files.write(dir.resolve("zeros.raw"), new byte[64 << 10]);
  }

  @Test
  void aVirtualAddressWiderThan32BitsIsRefusedOutsideLongMode() throws Exception {
    String raw = zeros().toString();
    refused("VA 0x100000000: PAE paging translates 32-bit linear addresses, 0x0-0xffffffff (SDM Vol. 3A §4.4) (see: kexec-sim vtop --help)",
        "vtop", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x1000", "0x100000000");
    refused("VA 1ffffffff = 0x1ffffffff: 32-bit paging translates 32-bit linear addresses, 0x0-0xffffffff (SDM Vol. 3A §4.3) (see: kexec-sim vtop --help)",
        "vtop", raw, "--format", "raw", "--mode", "32", "--cr3", "0x1000", "0x0", "1ffffffff");
    refused("ADDRESS 0xfffffff0 + 0x20: PAE paging translates 32-bit linear addresses, 0x0-0xffffffff (SDM Vol. 3A §4.4) (see: kexec-sim rd --help)",
        "rd", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x1000", "0xfffffff0", "-l", "0x20");
    refused("VA 0x100000000: 32-bit paging translates 32-bit linear addresses, 0x0-0xffffffff (SDM Vol. 3A §4.3) (see: kexec-sim translate --help)",
        "translate", "--image", raw, "--mode", "32", "--cr3", "0x1000", "0x100000000");
    refused("ADDRESS 0xffffffffffff0 + 0x20 reaches past 2^52: not a physical address (MAXPHYADDR is at most 52 bits) (see: kexec-sim rd --help)",
        "rd", raw, "--format", "raw", "-p", "0xffffffffffff0", "-l", "0x20");
    // the top of the 4 GiB is still an address, not mapped here
    CliRun top = CliRun.of("rd", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x1000", "0xfffffff0", "-l", "0x10");
    assertEquals(1, top.exitCode(), top.err());
  }

  @Test
  void aNonCanonicalAddressInLongModeIsTheCpusGeneralProtectionFaultNotBadUsage() throws Exception {
    // a 64-bit register holds it and an access raises #GP(0) (SDM Vol. 3A §4.5, §6.15): a finding, exit 1
    CliRun r = CliRun.of("vtop", zeros().toString(), "--format", "raw", "--mode", "4level", "--cr3", "0x1000", "0x800000000000");
    assertEquals(1, r.exitCode(), r.err());
    assertEquals("0x0000800000000000 -> not mapped: #GP(0x0): non-canonical address", r.out().lines().toList().get(1));
    CliRun t = CliRun.of("translate", "--image", zeros().toString(), "--mode", "4level", "--cr3", "0x1000", "0xffff7fffffffffff");
    assertEquals(1, t.exitCode(), t.err());
    assertEquals("0xffff7fffffffffff: #GP(0x0): non-canonical address", t.out().strip());
  }

  @Test
  void aRootTableTheModesCr3CannotNameIsRefused() throws Exception {
    String raw = zeros().toString();
    String name = "kexec-sim: " + raw + ": ";
    String help = " (see: kexec-sim vtop --help)\n";
    CliRun unaligned = CliRun.of("vtop", raw, "--format", "raw", "--mode", "4level", "--cr3", "0x1001", "0x0");
    assertEquals(2, unaligned.exitCode());
    assertEquals(name + "--cr3 0x1001: a 4level PML4 is 4 KiB-aligned (CR3 bits 11:0 are not address bits, SDM Vol. 3A §4.5); the table there would be 0x1000" + help,
        unaligned.err());
    CliRun pae = CliRun.of("vtop", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x1010", "0x0");
    assertEquals(2, pae.exitCode());
    assertEquals(name + "--cr3 0x1010: a pae PDPT is 32-byte-aligned (CR3 bits 4:0 are not address bits, SDM Vol. 3A §4.4.1); the table there would be 0x1000" + help,
        pae.err());
    CliRun wide = CliRun.of("vtop", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x100000000", "0x0");
    assertEquals(2, wide.exitCode());
    assertEquals(name + "--cr3 0x100000000: a pae CR3 holds a 32-bit physical address (SDM Vol. 3A §4.3, §4.4.1), so the PDPT is below 0x100000000" + help,
        wide.err());
    CliRun beyond = CliRun.of("vtop", raw, "--format", "raw", "--mode", "4level", "--cr3", "0x10000000000000", "0x0");
    assertEquals(2, beyond.exitCode());
    assertEquals(name + "--cr3 0x10000000000000: a 4level CR3 holds a 52-bit physical address (MAXPHYADDR, SDM Vol. 3A §4.5), so the PML4 is below 0x10000000000000" + help,
        beyond.err());
    // a PAE PDPT 32-byte aligned inside a page is a legal root: walked, nothing present
    CliRun paeOk = CliRun.of("vtop", raw, "--format", "raw", "--mode", "pae", "--cr3", "0x1020", "0x0");
    assertEquals(1, paeOk.exitCode(), paeOk.err());
    assertEquals("paging: pae, root 0x1020 (--cr3; mode from --mode)", paeOk.out().lines().findFirst().orElseThrow());
    // translate takes a CR3 register value: flag bits are legal, only a width the register lacks is not
    refused("--cr3 0x100001000: CR3 is a 32-bit register in PAE paging (SDM Vol. 3A §4.4.1) (see: kexec-sim translate --help)",
        "translate", "--image", raw, "--mode", "pae", "--cr3", "0x100001000", "0x0");
    CliRun flags = CliRun.of("translate", "--image", raw, "--mode", "4level", "--cr3", "0x1018", "0x0");
    assertEquals(1, flags.exitCode(), flags.err());
    assertTrue(flags.out().contains("PML4E[0] @0x1000 = "), "PWT|PCD in CR3 are not address bits: " + flags.out());
  }
}
