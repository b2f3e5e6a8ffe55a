package org.kexecsim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kexec-sim cpu}: the CPU model on its own. */
@Command(
    name = "cpu",
    description = "Runs machine code on the x86 CPU model.",
    subcommands = {CpuRunCommand.class})
final class CpuCommand extends CliCommand implements Runnable {
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (run)");
  }
}
