package org.kexecsim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kexec-sim cpu}: the CPU model on its own. */
@Command(
    name = "cpu",
    mixinStandardHelpOptions = true,
    description = "Runs machine code on the x86 CPU model.",
    subcommands = {CpuRunCommand.class})
final class CpuCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (run)");
  }
}
