package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.symbols.AddressExpression;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.vtop.VtopReport;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim vtop IMAGE VA...}. */
@Command(name = "vtop", mixinStandardHelpOptions = true,
    description = {"Translates virtual addresses through the page tables of a dump (ELF, kdump-compressed, flattened, split or raw).",
        "Exit 0 when every address is mapped, 1 when any is not.",
        "IMAGE may be a directory or @LIST: the same addresses are translated in each dump, in this one process."})
final class VtopCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE",
      description = DumpImages.IMAGES)
  Path image;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "VA|SYMBOL", converter = AddressArgument.class,
      description = "virtual addresses: hex (0x optional), a symbol, or symbol+0xOFFSET")
  List<AddressExpression> addresses;

  @Mixin PagingOptions paging;

  @CommandLine.Mixin DumpImages.FormatOption format = new DumpImages.FormatOption();

  @Option(names = "--verbose", description = "print each entry read on the way")
  boolean verbose;

  @Option(names = "--json", description = "machine-readable output")
  boolean json;

  @Option(names = "--jsonl", description = "one JSON object per dump per line, streamed, then a summary line")
  boolean jsonl;

  @Override
  public Integer call() throws Exception {
    return DumpBatch.execute(spec.commandLine(), List.of(image), jsonl, "vtop", this::one);
  }

  private DumpBatch.Outcome one(Path image) throws Exception {
    try (Dump dump = DumpImages.open(spec.commandLine(), image, format)) {
      PagingContext ctx = paging.resolve(spec.commandLine(), dump);
      List<Long> vas = new java.util.ArrayList<>();
      for (AddressExpression a : addresses) {
        vas.add(paging.virtual(spec.commandLine(), dump, ctx, a));
      }
      VtopReport report = Vtop.translate(dump.physicalMemory(), ctx, vas).named(paging.symbols(dump));
      return new DumpBatch.Outcome(report.allMapped() ? ExitCode.OK : ExitCode.NEGATIVE, report.toJson(),
          json ? ReportJson.write(report.toJson()) + System.lineSeparator() : report.toText(verbose));
    }
  }
}
