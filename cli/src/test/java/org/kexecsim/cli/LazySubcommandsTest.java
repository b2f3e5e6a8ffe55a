package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Main registers subcommands lazily; every path must still reach the command it names. */
class LazySubcommandsTest {
  private static final List<String> ALL = List.of("demo", "transition", "translate", "asm", "cpu", "uml", "prepare",
      "vtop", "ptdump", "rd", "ptov", "info", "verify-pgd", "diff", "checksum", "dmesg", "robustness");

  @Test
  void eachRegisteredNameIsItsCommandsOwnName() {
    CommandLine all = Main.commandLine(new String[] {"--help"});
    assertEquals(ALL, List.copyOf(all.getSubcommands().keySet()), "help lists every subcommand in order");
    all.getSubcommands().forEach((name, cl) ->
        assertEquals(cl.getCommand().getClass().getAnnotation(Command.class).name(), name));
  }

  @Test
  void aNamedSubcommandIsRegisteredAloneAndStillRuns() {
    for (String name : ALL) {
      assertEquals(Set.of(name), Main.commandLine(new String[] {name, "--help"}).getSubcommands().keySet());
    }
    CliRun help = CliRun.of("checksum", "--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.out().contains("Usage: kexec-sim checksum"), help.out());
  }

  @Test
  void versionAloneBuildsNoSubcommandsAndPrintsTheVersion() {
    assertTrue(Main.commandLine(new String[] {"--version"}).getSubcommands().isEmpty());
    CliRun v = CliRun.of("--version");
    assertEquals(0, v.exitCode());
    assertTrue(v.out().startsWith("kexec-sim "), v.out());
    CliRun typo = CliRun.of("dif");
    assertEquals(2, typo.exitCode());
  }

  /** main answers a bare --version before picocli: its lines must be the ones picocli prints. */
  @Test
  void mainsFastVersionPathPrintsWhatPicocliPrints() {
    String viaPicocli = CliRun.of("--version").out();
    for (String flag : List.of("--version", "-V")) {
      java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
      java.io.PrintStream before = System.out;
      System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      try {
        Main.main(new String[] {flag});
      } finally {
        System.setOut(before);
      }
      assertEquals(viaPicocli.strip(), captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip(), flag);
    }
  }
}
