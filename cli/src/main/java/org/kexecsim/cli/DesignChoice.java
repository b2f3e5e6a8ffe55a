package org.kexecsim.cli;

import org.kexecsim.kimage.Arch;
import org.kexecsim.transition.TransitionDesign;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --arch} and {@code --design}: which transition a command simulates (prepare,
 * transition), each refused as a usage error with the model's own wording.
 */
final class DesignChoice {
  @Option(names = "--arch", required = true, description = "i386, pae or x86_64")
  String arch;

  @Option(names = "--design", required = true, description = "legacy, page-table-a, single-table or mainline")
  String design;

  Arch arch(CommandLine cl) {
    try {
      return Arch.fromCliName(arch);
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }

  TransitionDesign design(CommandLine cl) {
    try {
      return TransitionDesign.fromCliName(design);
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(cl, e.getMessage());
    }
  }
}
