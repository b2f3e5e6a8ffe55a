package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.ptdump.PtDump;
import org.kexecsim.analyzer.ptdump.PtDumpReport;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kexec-sim ptdump IMAGE...}. */
@Command(name = "ptdump",
    description = {"Prints every mapped range reachable from the root table, coalesced like the kernel's dump_pagetables.",
        "Several IMAGEs (or a directory, or @LIST) are dumped one after another in this one process."})
final class PtdumpCommand extends CliCommand implements Callable<Integer> {
  @CommandLine.Mixin DumpImages.ManyImages input = new DumpImages.ManyImages();

  @Mixin PagingOptions paging;

  @Mixin JsonOutput.Batch output = new JsonOutput.Batch();

  @Option(names = "--html", paramLabel = "FILE", description = "also draw the virtual address space by size and rights (W+X flagged) as one self-contained HTML page (one IMAGE)")
  Path html;

  @Override
  public Integer call() throws Exception {
    if (html != null && (input.images.size() > 1 || DumpBatch.namesMany(input.images.getFirst()))) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--html draws one IMAGE, not a batch");
    }
    return DumpBatch.execute(spec.commandLine(), input.images, output.jsonl, "ptdump", this::one);
  }

  private DumpBatch.Outcome one(Path image) throws Exception {
    try (Dump dump = DumpImages.open(spec.commandLine(), image, input)) {
      PtDumpReport report;
      try {
        report = PtDump.dump(dump.physicalMemory(), paging.resolve(spec.commandLine(), dump));
      } catch (AnalysisException e) { // tables too large to enumerate: say which file
        throw PagingOptions.naming(dump, e);
      }
      if (html != null) {
        org.kexecsim.cli.html.PtdumpPicture.write(html, report, image.toString());
      }
      var names = paging.symbols(dump);
      return output.outcome(ExitCode.OK, () -> report.toJson(names), () -> report.toText(names));
    }
  }
}
