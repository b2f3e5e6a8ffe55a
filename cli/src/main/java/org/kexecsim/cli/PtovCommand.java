package org.kexecsim.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.ptov.Ptov;
import org.kexecsim.analyzer.ptov.PtovReport;
import org.kexecsim.analyzer.symbols.AddressExpression;
import org.kexecsim.analyzer.symbols.KernelSymbols;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim ptov IMAGE PA...}. */
@Command(name = "ptov",
    description = {"Lists every virtual address that maps each physical address, with the entries that map it,",
        "through --cr3, or else through every root the dump names (VMCOREINFO's kernel root, each CPU's CR3).",
        "One walk of each root's tables answers all the addresses. Exit 0 when each is mapped somewhere, 1 when not."})
final class PtovCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DumpImages.OneImage input = new DumpImages.OneImage();

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "PA|SYMBOL", converter = AddressArgument.class,
      description = "physical addresses: hex (0x optional), or a symbol (its physical address through the kernel image mapping)")
  List<AddressExpression> addresses;

  @Mixin PagingOptions paging;

  @Mixin JsonOutput output = new JsonOutput();

  @Override
  public Integer call() throws Exception {
    CommandLine cl = spec.commandLine();
    try (Dump dump = input.open(cl)) {
      long[] pas = new long[addresses.size()];
      for (int i = 0; i < pas.length; i++) {
        pas[i] = paging.physical(cl, dump, addresses.get(i));
        if (pas[i] < 0 || pas[i] >= 1L << 52) {
          throw new CommandLine.ParameterException(cl, String.format("%s = 0x%x is not a physical address (MAXPHYADDR is at most 52 bits)",
              addresses.get(i), pas[i]));
        }
      }
      List<PtovReport.RootResult> results = new ArrayList<>();
      for (RootTableFinder.LabeledRoot r : paging.resolveAll(cl, dump, dump.vmcoreInfo())) {
        try {
          results.add(new PtovReport.RootResult(r.label(), r.paging(), Ptov.find(dump.physicalMemory(), r.paging(), pas)));
        } catch (AnalysisException e) {
          throw PagingOptions.naming(dump, e);
        }
      }
      PtovReport report = new PtovReport(results);
      KernelSymbols names = paging.symbols(dump);
      output.print(cl, () -> report.toJson(names), () -> report.toText(names));
      return report.allMapped() ? ExitCode.OK : ExitCode.NEGATIVE;
    }
  }
}
