package org.kexecsim.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.diff.DiffOptions;
import org.kexecsim.analyzer.diff.DiffReport;
import org.kexecsim.analyzer.diff.ImageDiff;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim diff A B}. */
@Command(name = "diff",
    description = {"Lists the physical ranges where two images differ, tagged crash-region, page-table",
        "(of A's kernel), kernel-text, only-in-a/only-in-b. Exit 0 identical, 1 different."})
final class DiffCommand extends CliCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "A", description = "first image (the old kernel's)")
  Path a;

  @Parameters(index = "1", paramLabel = "B", description = "second image")
  Path b;

  @Mixin PagingOptions paging;

  @CommandLine.Mixin DumpImages.FormatOption format = new DumpImages.FormatOption();

  @Option(names = "--crash-region", description = "the crashkernel= reservation, START+SIZE or START-LAST")
  String crashRegion;

  @Option(names = "--threads", defaultValue = "0", converter = WorkerCount.class, description = "compare workers (default: one per core)")
  int threads;

  @Option(names = "--json", description = "machine-readable output")
  boolean json;

  @Option(names = "--html", paramLabel = "FILE", description = "also draw the physical address space, ranges coloured by tag, as one self-contained HTML page")
  Path html;

  @Override
  public Integer call() throws Exception {
    try (Dump da = DumpImages.open(spec.commandLine(), a, format); Dump db = DumpImages.open(spec.commandLine(), b, format)) {
      DiffOptions options = DiffOptions.NONE.withThreads(threads);
      if (crashRegion != null) {
        List<RamRange> r = RamMap.parse(crashRegion).ranges();
        if (r.size() != 1) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--crash-region takes one range");
        }
        options = options.withCrashRegion(r.getFirst());
      }
      try {
        options = options.withOldKernelPaging(paging.resolve(spec.commandLine(), da));
      } catch (CommandLine.ParameterException | AnalysisException e) {
        // Without a root for A, page-table pages are simply not tagged.
        spec.commandLine().getErr().println("kexec-sim: diff: page-table pages not tagged: " + e.getMessage());
      }
      options = withText(options, da);
      DiffReport report;
      try (Progress progress = Progress.onTerminal("diff", da.physicalMemory().ramMap().usableBytes())) {
        report = ImageDiff.diff(da.physicalMemory(), db.physicalMemory(), options.withProgress(progress));
      }
      // Which root the page-table tags came from, like every command that walks tables.
      Optional<PagingContext> tagged = options.oldKernelPaging();
      if (html != null) {
        org.kexecsim.cli.html.DiffPicture.write(html, report, a.toString(), b.toString(), da.physicalMemory().ramMap(),
            db.physicalMemory().ramMap(), tagged.map(PagingContext::describe));
      }
      var names = paging.symbols(da);
      if (json) {
        ObjectNode n = report.toJson(names);
        tagged.ifPresent(ctx -> ReportJson.paging(n, ctx));
        spec.commandLine().getOut().println(ReportJson.write(n));
      } else {
        spec.commandLine().getOut().print(report.toText(names));
        tagged.ifPresent(ctx -> spec.commandLine().getOut().println("page-table tags from A's " + ctx.describe()));
      }
      return report.identical() ? ExitCode.OK : ExitCode.NEGATIVE;
    }
  }

  private static DiffOptions withText(DiffOptions options, Dump d) {
    if (d.vmcoreInfo().isEmpty()) {
      return options;
    }
    OptionalLong[] text = kernelText(d.vmcoreInfo().get(), d.eMachine() == Dump.EM_X86_64);
    if (text[0].isPresent() && text[1].isPresent() && Long.compareUnsigned(text[1].getAsLong(), text[0].getAsLong()) > 0) {
      return options.withKernelText(RamRange.usable(text[0].getAsLong(), text[1].getAsLong() - text[0].getAsLong()));
    }
    return options;
  }

  /** _stext and _etext as physical addresses: symbol - __START_KERNEL_map + phys_base, or - PAGE_OFFSET on i386. */
  static OptionalLong[] kernelText(VmcoreInfo info, boolean x86_64) {
    long delta = x86_64 ? info.number("phys_base").orElse(0) - RootTableFinder.START_KERNEL_MAP : -RootTableFinder.PAGE_OFFSET_I386;
    OptionalLong s = info.symbol("_stext");
    OptionalLong e = info.symbol("_etext");
    return new OptionalLong[] {
      s.isPresent() ? OptionalLong.of(s.getAsLong() + delta) : OptionalLong.empty(),
      e.isPresent() ? OptionalLong.of(e.getAsLong() + delta) : OptionalLong.empty()
    };
  }
}
