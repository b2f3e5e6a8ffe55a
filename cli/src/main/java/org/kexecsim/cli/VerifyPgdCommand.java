package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerification;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kexec-sim verify-pgd BEFORE [AFTER]}. */
@Command(name = "verify-pgd",
    description = {
      "Checks that the page tables reachable from BEFORE's roots are unchanged in",
      "AFTER, so every translation they define survived. Without --cr3 the roots are",
      "the crashed kernel's (VMCOREINFO of BEFORE, else of AFTER) and each CPU's CR3",
      "in BEFORE's QEMU notes (--cpu is not used then), one verdict each. Changes",
      "that only set A/D bits (hardware walks) are reported, tolerated unless --strict.",
      "With one image: checks that its roots' tables are all there and the kernel's",
      "VMCOREINFO symbols translate (INTACT); it cannot compare with pre-crash tables.",
      "Exit 0 preserved/intact, 1 not.",
      "Many dumps in one process: a directory, @LIST, or three or more IMAGEs each checked",
      "alone; with --pairs taken two by two as BEFORE AFTER."})
final class VerifyPgdCommand extends CliCommand implements Callable<Integer> {
  @Parameters(arity = "1..*", paramLabel = "BEFORE [AFTER]",
      description = {"image of the old kernel (its root tables are walked) and the image after the transition;",
          "alone: the vmcore to check; a directory or @FILE: many dumps"})
  List<Path> images;

  @Option(names = "--pairs", description = "a batch's dumps are BEFORE AFTER pairs, in order")
  boolean pairs;

  @Mixin PagingOptions paging;

  @CommandLine.Mixin DumpImages.FormatOption format = new DumpImages.FormatOption();

  @Option(names = "--strict", description = "require byte-identical table pages (A/D bits set by hardware walks count as changes)")
  boolean strict;

  @Mixin JsonOutput.Batch output = new JsonOutput.Batch();

  @Option(names = "--html", paramLabel = "FILE", description = "also draw the changed table entries, before and after, as one self-contained HTML page")
  Path html;

  @Override
  public Integer call() throws Exception {
    List<Path> all = DumpBatch.expand(images);
    boolean named = images.stream().anyMatch(DumpBatch::namesMany);
    // Two plain IMAGEs are BEFORE AFTER, with or without --jsonl; a directory or @LIST, or three
    // or more IMAGEs, are dumps checked alone unless --pairs.
    boolean asPairs = pairs || !named && all.size() == 2;
    if (html != null && (output.jsonl || named || all.size() > 2)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--html draws one BEFORE [AFTER], not a batch");
    }
    if (!output.jsonl && !named && all.size() <= 2) {
      DumpBatch.Outcome o = one(all.get(0), all.size() == 2 ? all.get(1) : null);
      spec.commandLine().getOut().print(o.text());
      return o.exitCode();
    }
    if (!asPairs) {
      return DumpBatch.run(spec.commandLine(), all, output.jsonl, "verify-pgd", image -> one(image, null));
    }
    if (all.size() % 2 != 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--pairs: " + all.size() + " dumps do not make BEFORE AFTER pairs");
    }
    List<Path[]> pairList = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 2) {
      pairList.add(new Path[] {all.get(i), all.get(i + 1)});
    }
    return DumpBatch.run(spec.commandLine(), pairList, p -> p[0] + " " + p[1], output.jsonl, "verify-pgd", p -> one(p[0], p[1]));
  }

  private DumpBatch.Outcome one(Path before, Path after) throws Exception {
    PgdVerification v;
    org.kexecsim.analyzer.symbols.AddressNames names;
    if (after == null) {
      try (Dump image = DumpImages.open(spec.commandLine(), before, format)) {
        Optional<VmcoreInfo> info = image.vmcoreInfo();
        OptionalLong kernel = RootTableFinder.kernelRoot(image, info, Optional.empty())
            .map(c -> OptionalLong.of(c.root())).orElse(OptionalLong.empty());
        List<PgdVerdict> verdicts = new ArrayList<>();
        for (RootTableFinder.LabeledRoot r : paging.resolveAll(spec.commandLine(), image, info)) {
          verdicts.add(named(image, () -> PgdVerifier.inspect(image.physicalMemory(), r.paging(), r.label(), info, kernel)));
        }
        v = new PgdVerification(true, false, verdicts, skipped(image));
        names = paging.symbols(image);
      }
    } else {
      try (Dump b = DumpImages.open(spec.commandLine(), before, format); Dump a = DumpImages.open(spec.commandLine(), after, format)) {
        Optional<VmcoreInfo> info = b.vmcoreInfo().or(a::vmcoreInfo); // a capture kernel's vmcore carries the crashed kernel's
        List<PgdVerdict> verdicts = new ArrayList<>();
        for (RootTableFinder.LabeledRoot r : paging.resolveAll(spec.commandLine(), b, info)) {
          verdicts.add(named(b, () -> PgdVerifier.verify(b.physicalMemory(), a.physicalMemory(), r.paging(), r.label(), strict)));
        }
        v = new PgdVerification(false, strict, verdicts, skipped(b));
        names = paging.symbols(b);
      }
    }
    if (html != null) {
      org.kexecsim.cli.html.VerifyPgdPicture.write(html, v, before.toString(), after == null ? null : after.toString());
    }
    return output.outcome(v.preserved() ? ExitCode.OK : ExitCode.NEGATIVE, () -> v.toJson(names), () -> v.toText(names));
  }

  /** The CPUs left out without --cr3 because they had paging off. */
  private List<String> skipped(Dump dump) {
    if (paging.cr3 != null) {
      return List.of();
    }
    return RootTableFinder.cpusWithoutPaging(dump).stream()
        .map(cpu -> "CPU " + cpu + " had paging off (CR0.PG=0 in its QEMU note): no page tables to check").toList();
  }

  /** Runs a check whose bad-input line must name the image (tables too large to enumerate). */
  private static PgdVerdict named(Dump dump, Supplier<PgdVerdict> check) {
    try {
      return check.get();
    } catch (AnalysisException e) {
      throw PagingOptions.naming(dump, e);
    }
  }
}
