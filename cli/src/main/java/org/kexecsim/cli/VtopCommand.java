package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.symbols.AddressExpression;
import org.kexecsim.analyzer.vtop.Vtop;
import org.kexecsim.analyzer.xen.XenDom0;
import org.kexecsim.analyzer.vtop.VtopReport;
import org.kexecsim.dump.Dump;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim vtop IMAGE VA...}. */
@Command(name = "vtop",
    description = {"Translates virtual addresses through the page tables of a dump (ELF, kdump-compressed, flattened, split or raw).",
        "Exit 0 when every address is mapped, 1 when any is not.",
        "IMAGE may be a directory or @LIST: the same addresses are translated in each dump, in this one process."})
final class VtopCommand extends CliCommand implements Callable<Integer> {
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

  @Option(names = "--xen-dom0", description = "a Xen host's vmcore: translate through dom0's PV tables (CR3 from Xen's "
      + "XEN_ELFNOTE_CRASH_REGS) to machine addresses, and name each one's dom0 pseudo-physical address through the p2m "
      + "(XEN_ELFNOTE_CRASH_INFO)")
  boolean xenDom0;

  @Mixin JsonOutput.Batch output = new JsonOutput.Batch();

  @Override
  public Integer call() throws Exception {
    return DumpBatch.execute(spec.commandLine(), List.of(image), output.jsonl, "vtop", this::one);
  }

  private DumpBatch.Outcome one(Path image) throws Exception {
    try (Dump dump = DumpImages.open(spec.commandLine(), image, format)) {
      if (xenDom0) {
        return xen(dump);
      }
      PagingContext ctx = paging.resolve(spec.commandLine(), dump);
      List<Long> vas = new java.util.ArrayList<>();
      for (AddressExpression a : addresses) {
        vas.add(paging.virtual(spec.commandLine(), dump, ctx, a));
      }
      VtopReport report = Vtop.translate(dump.physicalMemory(), ctx, vas).named(paging.symbols(dump));
      return output.outcome(report.allMapped() ? ExitCode.OK : ExitCode.NEGATIVE, report::toJson, () -> report.toText(verbose));
    }
  }

  private DumpBatch.Outcome xen(Dump dump) throws Exception {
    if (paging.cr3 != null || paging.mode != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--xen-dom0 takes CR3 and the mode from Xen's notes: drop --cr3 and --mode");
    }
    XenDom0 x;
    try {
      x = XenDom0.of(dump);
    } catch (org.kexecsim.analyzer.AnalysisException e) {
      throw PagingOptions.naming(dump, e);
    }
    List<Long> vas = new java.util.ArrayList<>();
    for (AddressExpression a : addresses) {
      vas.add(paging.virtual(spec.commandLine(), dump, x.paging(), a));
    }
    VtopReport report = x.translate(dump.physicalMemory(), vas).named(paging.symbols(dump));
    return output.outcome(report.allMapped() ? ExitCode.OK : ExitCode.NEGATIVE, () -> x.toJson(report),
        () -> x.toText(report, verbose));
  }
}
