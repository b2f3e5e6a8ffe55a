package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim verify-pgd BEFORE AFTER}. */
@Command(name = "verify-pgd", mixinStandardHelpOptions = true,
    description = {"Checks that the page tables reachable from BEFORE's root are byte-identical in AFTER,",
        "so every translation they define survived. Exit 0 preserved, 1 not preserved."})
final class VerifyPgdCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "BEFORE", description = "image of the old kernel (its root table is walked)")
  Path before;

  @Parameters(index = "1", paramLabel = "AFTER", description = "image after the transition")
  Path after;

  @Mixin PagingOptions paging;

  @Option(names = "--ram-map", description = "RAM ranges of raw images")
  String ramMap;

  @CommandLine.Mixin DumpImages.FormatOption format = new DumpImages.FormatOption();

  @Option(names = "--json", description = "machine-readable output")
  boolean json;

  @Override
  public Integer call() throws Exception {
    try (Dump b = DumpImages.open(spec.commandLine(), before, ramMap, format); Dump a = DumpImages.open(spec.commandLine(), after, ramMap, format)) {
      PgdVerdict v;
      try {
        v = PgdVerifier.verify(b.physicalMemory(), a.physicalMemory(), paging.resolve(spec.commandLine(), b));
      } catch (AnalysisException e) { // BEFORE's tables too large to enumerate: say which file
        throw PagingOptions.naming(b, e);
      }
      spec.commandLine().getOut().print(json ? ReportJson.write(v.toJson()) + System.lineSeparator() : v.toText());
      return v.preserved() ? ExitCode.OK : ExitCode.NEGATIVE;
    }
  }
}
