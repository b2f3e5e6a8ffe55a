package org.kexecsim.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.info.DumpInfo;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kexec-sim info IMAGE}. */
@Command(name = "info",
    description = {"Describes a dump: format, RAM ranges, notes, each CPU's registers (general, CS/SS,",
        "CR0-CR4 where QEMU's note holds them), VMCOREINFO (release, crash time, KASLR offset, every line),",
        "and the root tables the analyses can walk, with where each comes from."})
final class InfoCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DumpImages.OneImage input = new DumpImages.OneImage();

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Override
  public Integer call() throws Exception {
    CommandLine cl = spec.commandLine();
    try (Dump dump = input.open(cl)) {
      long bytes = 0;
      for (Path p : DumpImages.parts(input.image)) {
        bytes += Files.size(p);
      }
      DumpInfo info = DumpInfo.of(dump, bytes);
      output.print(cl, info::toJson, info::toText);
      return ExitCode.OK;
    }
  }
}
