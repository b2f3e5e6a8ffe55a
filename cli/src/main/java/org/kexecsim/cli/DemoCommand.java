package org.kexecsim.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.verify.PgdVerdict;
import org.kexecsim.analyzer.verify.PgdVerifier;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.RamMap;
import org.kexecsim.relocate.TransitionImages;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;
import org.kexecsim.transition.TransitionDesign;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kexec-sim demo}: the headline. Every arch × design as a kdump transition, then
 * verify-pgd on each pre/post pair of ELF images read back from disk.
 */
@Command(
    name = "demo",
    description = {
      "Runs the kdump transition for every arch (i386, pae, x86_64) and design (legacy,",
      "page-table-a, single-table, mainline), writes each pre/post pair as ELF cores and checks",
      "them with verify-pgd. Exit 0 when every design behaves as its history says: legacy",
      "damages the crashed kernel's pgd, the others preserve it and reach the new kernel."
    })
final class DemoCommand extends CliCommand implements Callable<Integer> {

  /** The most RAM the demo gives a PAE machine; see {@link #machineRam}. */
  static final long PAE_BOOTS = 32L << 30;

  @Option(names = "--ram", defaultValue = "2G", converter = Numbers.class,
      description = "RAM of each x86_64 machine; i386 ones get at most 3G, pae ones 32G (default: ${DEFAULT-VALUE})")
  long ram;

  @Option(names = "--crashkernel", defaultValue = "128M", description = "crashkernel= value (default: ${DEFAULT-VALUE})")
  String crashkernel;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic machines (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", description = "keep the images here (arch-design/pre.core, post.core, vmcore)")
  Path outDir;

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Option(names = "--html", paramLabel = "DIR", description = "also draw each run as an HTML page in DIR, with DIR/index.html linking them")
  Path html;

  private org.kexecsim.cli.html.DemoPictures pictures;

  record Row(String arch, String design, TransitionResult result, PgdVerdict imageVerdict, boolean asExpected) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    for (Arch arch : Arch.values()) {
      Numbers.ram(spec.commandLine(), "--ram", machineRam(arch), arch);
    }
    Path dir = outDir != null ? outDir : Files.createTempDirectory("kexec-sim-demo");
    List<Row> rows = new ArrayList<>();
    pictures = html == null ? null : new org.kexecsim.cli.html.DemoPictures(html);
    try {
      if (!output.json) {
        out.printf("kdump transition, RAM %s, crashkernel=%s, seed %d; images checked with verify-pgd%n%n",
            ByteSize.format(ram), crashkernel, seed);
        out.printf("%-7s %-13s %-30s %8s %7s  %-12s %s%n", "arch", "design", "outcome", "routine", "tables", "old pgd", "verify-pgd pre/post");
      }
      for (Arch arch : Arch.values()) {
        for (TransitionDesign d : TransitionDesign.all()) {
          Row row = run(arch, d, dir.resolve(arch.cliName() + "-" + d.cliName()));
          rows.add(row);
          if (!output.json) {
            printRow(out, row);
          }
        }
      }
    } finally {
      if (outDir == null) {
        deleteTree(dir);
      }
    }
    boolean allAsExpected = rows.stream().allMatch(Row::asExpected);
    if (pictures != null) {
      pictures.finish();
    }
    if (output.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("format", "kexec-sim/demo/v1");
      doc.put("ram", Json.hex(ram));
      doc.put("crashkernel", crashkernel);
      doc.put("seed", seed);
      List<Object> list = new ArrayList<>();
      for (Row r : rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", r.arch());
        m.put("design", r.design());
        m.put("outcome", r.result().outcome().name().toLowerCase(java.util.Locale.ROOT));
        m.put("routineBytes", r.result().routine().size());
        m.put("tablePages", r.result().prepare().pages().size());
        m.put("oldPgdPreserved", r.result().oldPgd().preserved());
        m.put("verifyPgdPreserved", r.imageVerdict().preserved());
        m.put("asExpected", r.asExpected());
        list.add(m);
      }
      doc.put("runs", list);
      doc.put("allAsExpected", allAsExpected);
      Json.print(out, doc);
    } else {
      out.printf("%n%s%n", allAsExpected
          ? "every design behaves as its history says: legacy overwrites the crashed kernel's pgd, the others keep it intact."
          : "SOME DESIGN DID NOT BEHAVE AS EXPECTED: see the rows above, and run `kexec-sim transition` on it.");
      if (outDir != null) {
        out.printf("images kept under %s%n", outDir);
      }
    }
    return allAsExpected ? ExitCode.OK : ExitCode.NEGATIVE;
  }

  private Row run(Arch arch, TransitionDesign d, Path dir) throws IOException {
    long machineRam = machineRam(arch);
    var trace = new org.kexecsim.cli.html.TransitionTrace();
    TransitionRequest req = TransitionRequest.of(arch, d, RamMap.ofSize(machineRam), crashkernel, ImageType.CRASH, seed);
    TransitionResult r;
    try {
      r = pictures == null ? TransitionRunner.run(req) : TransitionRunner.run(req, trace);
    } catch (org.kexecsim.kimage.KexecException e) {
      // which of the twelve machines was refused: e.g. legacy's 2 MiB identity map of 30 TiB or
      // more does not fit a 128M crash region (a crashkernel= range such as 0-33G:128M,33G-:512M does)
      throw new org.kexecsim.kimage.KexecException(e.errno(), machine(arch, d, machineRam) + e.sentence());
    } catch (org.kexecsim.kimage.ImpossibleLayoutException e) {
      // a machine its kernel cannot boot, e.g. PAE 32 GiB with crashkernel=288M@320M (the region
      // takes the lowmem FLATMEM's mem_map needs): named the same way
      throw new org.kexecsim.kimage.ImpossibleLayoutException(machine(arch, d, machineRam) + e.getMessage());
    }
    TransitionImages.Written w = TransitionImages.write(r, dir, true);
    PgdVerdict verdict;
    try (Dump pre = ElfCoreReader.open(w.pre()); Dump post = ElfCoreReader.open(w.post())) {
      PagingContext ctx = RootTableFinder.find(pre);
      verdict = PgdVerifier.verify(pre.physicalMemory(), post.physicalMemory(), ctx);
    }
    boolean expected = r.outcome().success()
        && r.oldPgd().preserved() == d.preservesLivePgd()
        && verdict.preserved() == d.preservesLivePgd();
    if (pictures != null) {
      pictures.add(arch.cliName(), d.cliName(), r, trace, verdict, expected);
    }
    return new Row(arch.cliName(), d.cliName(), r, verdict, expected);
  }

  /** The prefix naming one of the twelve machines in a refusal. */
  private String machine(Arch arch, TransitionDesign d, long machineRam) {
    return arch.cliName() + " " + d.cliName() + ", RAM " + ByteSize.format(machineRam) + ", crashkernel=" + crashkernel + ": ";
  }

  private long machineRam(Arch arch) {
    return switch (arch) {
      case I386 -> Math.min(ram, 3L << 30); // keep i386 lowmem plausible
      // A PAE machine may have 64 GiB, but its kernel does not boot there beside a crash region:
      // FLATMEM's mem_map for 64 GiB (640 MiB) does not fit lowmem in one piece (FlatMemMap); 48 GiB
      // fails too with crashkernel=128M. 32 GiB boots beside a crash region below 512 MiB (448M and
      // 256M@640M do) unless the region splits lowmem so that neither side holds mem_map's 320 MiB:
      // crashkernel=288M@320M is refused, naming the machine.
      case PAE -> Math.min(ram, PAE_BOOTS);
      case X86_64 -> ram;
    };
  }

  private static void printRow(PrintWriter out, Row row) {
    TransitionResult r = row.result();
    String pgd = r.oldPgd().preserved() ? "preserved" : "WRITTEN";
    String verify = row.imageVerdict().preserved()
        ? String.format("preserved (%d tables)", row.imageVerdict().tablesChecked())
        : String.format("NOT preserved (%d of %d tables differ)", row.imageVerdict().changedTables(), row.imageVerdict().tablesChecked());
    out.printf("%-7s %-13s %-30s %6d B %7d  %-12s %s%s%n", row.arch(), row.design(), r.outcome().text(),
        r.routine().size(), r.prepare().pages().size(), pgd, verify, row.asExpected() ? "" : "   <-- unexpected");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
