package org.kexecsim.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * What every kexec-sim command has, declared once: -h/--help and -V/--version, and its
 * {@code CommandSpec} (for refusals that name the command). picocli reads the {@code @Command}
 * attributes and annotated fields of superclasses; a command's own {@code @Command} adds its name,
 * description and subcommands.
 */
@Command(mixinStandardHelpOptions = true)
abstract class CliCommand {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
}
