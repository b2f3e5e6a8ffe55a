package org.kexecsim.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.robustness.RobustnessCase;
import org.kexecsim.robustness.RobustnessMatrix;
import org.kexecsim.robustness.RobustnessRow;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim robustness}: every design × arch against the faults a real crash brings. */
@Command(
    name = "robustness",
    description = {
      "Runs every transition design on every arch (and V1 page-table-a on PAE) as kdump on a 1 GiB",
      "machine against each case: damage to the crashed kernel (GDT, IDT, the routine's page-table",
      "entry, the loaded image) and NMIs (before machine_kexec's tail; in the zero-limit-IDT window),",
      "and prints the outcome of each cell, whether the sources expect it, and each row's window.",
      "Exit 0 when the design the kernel ships today (mainline) survives every case it is meant to;",
      "1 otherwise."
    })
final class RobustnessCommand extends CliCommand implements Callable<Integer> {

  @Option(names = "--cpu-model", defaultValue = "hardware",
      description = "hardware (the SDM) or qemu (QEMU TCG: PAE PDPTEs unchecked and re-read, CR3 flushes all) (default: ${DEFAULT-VALUE})")
  String cpuModel;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic machines (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", description = "machine-readable output")
  boolean json;

  @Override
  public Integer call() {
    CpuModel model;
    try {
      model = CpuModel.fromCliName(cpuModel);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--cpu-model: " + e.getMessage());
    }
    RobustnessMatrix m = RobustnessMatrix.run(model, seed);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Json.print(out, document(m));
    } else {
      print(out, m);
    }
    return m.regressions().isEmpty() ? ExitCode.OK : ExitCode.NEGATIVE;
  }

  private static String mark(RobustnessMatrix.Cell c) {
    if (c.outcome() == null) {
      return "n/a";
    }
    return (c.survived() ? "ok" : "FAIL") + (c.asExpected() ? "" : "!");
  }

  private static void print(PrintWriter out, RobustnessMatrix m) {
    out.printf("robustness: kdump, %d MiB RAM, crashkernel=%s, seed %d, CPU model %s%n",
        RobustnessMatrix.RAM >> 20, RobustnessMatrix.CRASHKERNEL, m.seed(), m.model().cliName());
    int width = m.rows().stream().mapToInt(r -> r.name().length()).max().orElse(10);
    StringBuilder head = new StringBuilder(String.format("%-" + width + "s", "design/arch"));
    for (RobustnessCase c : m.cases()) {
      head.append(String.format("  %-" + Math.max(5, c.cliName().length()) + "s", c.cliName()));
    }
    out.println(head);
    for (RobustnessRow row : m.rows()) {
      StringBuilder line = new StringBuilder(String.format("%-" + width + "s", row.name()));
      for (RobustnessCase c : m.cases()) {
        RobustnessMatrix.Cell cell = cell(m, row, c);
        line.append(String.format("  %-" + Math.max(5, c.cliName().length()) + "s", mark(cell)));
      }
      out.println(line);
    }
    out.println("(ok: entered the new kernel, or for crash-image purgatory refused it; FAIL: did not; ! : not what the sources imply)");
    out.println("failures:");
    for (RobustnessMatrix.Cell c : m.cells()) {
      if (!c.survived()) {
        out.printf("  %s %s: %s%n", c.row().name(), c.robustnessCase().cliName(), c.text());
      }
    }
    out.println("zero-limit-IDT windows (clean run):");
    m.rowWindows().forEach((row, w) -> out.printf("  %s: %s%n", row.name(), w.map(Object::toString).orElse("none")));
    out.println("expectations:");
    for (RobustnessCase c : m.cases()) {
      out.printf("  %s — %s%n", c.cliName(), c.description());
    }
    List<String> sources = new ArrayList<>();
    for (RobustnessMatrix.Cell c : m.cells()) {
      if (!sources.contains(c.expected().source())) {
        sources.add(c.expected().source());
      }
    }
    out.println("sources:");
    sources.forEach(s -> out.println("  " + s));
    List<RobustnessMatrix.Cell> surprises = m.surprises();
    for (RobustnessMatrix.Cell c : surprises) {
      out.printf("unexpected: %s %s: %s (expected %s: %s)%n", c.row().name(), c.robustnessCase().cliName(), c.text(),
          c.expected().survives() ? "survival" : "failure", c.expected().source());
    }
    out.printf("verdict: %s (%d cells, %d unexpected, %d shipped-today regressions)%n",
        m.regressions().isEmpty() ? "OK" : "FAILED", m.cells().size(), surprises.size(), m.regressions().size());
  }

  private static RobustnessMatrix.Cell cell(RobustnessMatrix m, RobustnessRow row, RobustnessCase c) {
    return m.cells().stream().filter(x -> x.row().equals(row) && x.robustnessCase() == c).findFirst().orElseThrow();
  }

  static Map<String, Object> document(RobustnessMatrix m) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", "kexec-sim/robustness/v1");
    doc.put("cpuModel", m.model().cliName());
    doc.put("seed", m.seed());
    doc.put("ramBytes", RobustnessMatrix.RAM);
    doc.put("crashkernel", RobustnessMatrix.CRASHKERNEL);
    doc.put("cases", m.cases().stream().map(c -> Map.of("name", c.cliName(), "description", c.description())).toList());
    List<Map<String, Object>> rows = new ArrayList<>();
    for (RobustnessRow row : m.rows()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("design", row.design().cliName());
      r.put("arch", row.arch().cliName());
      r.put("v1", row.v1());
      r.put("shippedToday", row.shippedToday());
      m.rowWindows().get(row).ifPresentOrElse(w -> {
        Map<String, Object> win = new LinkedHashMap<>();
        win.put("first", w.first());
        win.put("firstRip", Json.hex(w.firstRip()));
        win.put("firstInstruction", w.firstText());
        win.put("last", w.last());
        win.put("lastRip", Json.hex(w.lastRip()));
        win.put("lastInstruction", w.lastText());
        r.put("zeroLimitIdtWindow", win);
      }, () -> r.put("zeroLimitIdtWindow", null));
      Map<String, Object> cells = new LinkedHashMap<>();
      for (RobustnessCase c : m.cases()) {
        RobustnessMatrix.Cell cell = cell(m, row, c);
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("outcome", cell.outcome() == null ? null : cell.outcome().name().toLowerCase(java.util.Locale.ROOT));
        x.put("text", cell.text());
        x.put("survived", cell.survived());
        x.put("expectedToSurvive", cell.expected().survives());
        x.put("source", cell.expected().source());
        cells.put(c.cliName(), x);
      }
      r.put("cells", cells);
      rows.add(r);
    }
    doc.put("rows", rows);
    doc.put("unexpected", m.surprises().size());
    doc.put("regressions", m.regressions().stream().map(c -> c.row().name() + " " + c.robustnessCase().cliName()).toList());
    doc.put("verdict", m.regressions().isEmpty() ? "ok" : "failed");
    return doc;
  }
}
