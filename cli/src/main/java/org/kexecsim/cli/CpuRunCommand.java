package org.kexecsim.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.RunResult;
import org.kexecsim.cpu.RunState;
import org.kexecsim.cpu.SegmentCache;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.cpu.machine.MachineDescription;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim cpu run}: load a machine description, run it, show how it ended. */
@Command(
    name = "run",
    description = {
      "Loads a JSON machine description (RAM, memory contents, registers, control registers,",
      "GDTR/IDTR, segment caches; format in MachineDescription's documentation) and runs it",
      "until HLT, a triple fault or the step limit. Prints the final state and every exception.",
      "Exit 0 when the CPU halted, 1 on a triple fault, a stop or the step limit."
    })
final class CpuRunCommand extends CliCommand implements Callable<Integer> {

  @Option(names = "--machine", required = true, paramLabel = "MACHINE.json", description = "machine description")
  Path machine;

  @Option(names = "--max-steps", defaultValue = "1000000", description = "instructions to run at most (default: ${DEFAULT-VALUE})")
  long maxSteps;

  @Option(names = "--trace", description = "show every step: RIP, bytes, instruction and what it changed")
  boolean trace;

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Override
  public Integer call() throws Exception {
    if (maxSteps < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-steps must be at least 1");
    }
    Cpu cpu = MachineDescription.load(machine);
    PrintWriter out = spec.commandLine().getOut();
    List<StepTrace> steps = new ArrayList<>();
    if (trace) {
      cpu.setTracer(output.json ? steps::add : s -> out.println(s));
    }
    RunResult r = cpu.run(maxSteps);
    if (output.json) {
      Json.print(out, document(cpu, r, steps));
    } else {
      printText(out, cpu, r);
    }
    return r.state() == RunState.HALTED ? ExitCode.OK : ExitCode.NEGATIVE;
  }

  private static String ended(RunResult r) {
    return switch (r.state()) {
      case HALTED -> "halted";
      case TRIPLE_FAULT -> "triple fault";
      case STOPPED -> "stopped";
      case RUNNING -> "step limit reached";
    };
  }

  private static void printText(PrintWriter out, Cpu cpu, RunResult r) {
    out.printf("%s after %d steps%s%n", ended(r), r.steps(), r.stopReason() == null ? "" : ": " + r.stopReason());
    out.printf("mode %s, CPL %d%n", cpu.modeName(), cpu.cpl());
    out.printf("rip    %016x  rflags %016x%n", cpu.rip(), cpu.rflags());
    for (int i = 0; i < 16; i += 4) {
      StringBuilder sb = new StringBuilder();
      for (int j = i; j < i + 4; j++) {
        sb.append(String.format("%-4s %016x  ", Gpr.name64(j), cpu.register(j)));
      }
      out.println(sb.toString().stripTrailing());
    }
    var c = cpu.control();
    out.printf("cr0 %016x  cr2 %016x  cr3 %016x  cr4 %016x  efer %016x%n", c.cr0(), cpu.cr2(), c.cr3(), c.cr4(), c.efer());
    out.printf("gdtr base %016x limit %04x   idtr base %016x limit %04x%n", cpu.gdtrBase(), cpu.gdtrLimit(), cpu.idtrBase(), cpu.idtrLimit());
    for (Segment s : Segment.values()) {
      out.printf("%s  %s%n", s.name().toLowerCase(Locale.ROOT), cpu.segment(s));
    }
    if (!r.exceptions().isEmpty()) {
      out.println("exceptions:");
      for (ExceptionEvent e : r.exceptions()) {
        out.println("  " + e);
      }
    }
  }

  private static Map<String, Object> document(Cpu cpu, RunResult r, List<StepTrace> steps) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", "kexec-sim/cpu-run/v1");
    doc.put("state", r.state().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    doc.put("steps", r.steps());
    doc.put("stopReason", r.stopReason());
    doc.put("mode", cpu.modeName());
    Map<String, String> regs = new LinkedHashMap<>();
    regs.put("rip", Json.hex(cpu.rip()));
    regs.put("rflags", Json.hex(cpu.rflags()));
    for (int i = 0; i < 16; i++) {
      regs.put(Gpr.name64(i), Json.hex(cpu.register(i)));
    }
    doc.put("registers", regs);
    var c = cpu.control();
    doc.put("control", Map.of("cr0", Json.hex(c.cr0()), "cr2", Json.hex(cpu.cr2()), "cr3", Json.hex(c.cr3()),
        "cr4", Json.hex(c.cr4()), "efer", Json.hex(c.efer())));
    doc.put("gdtr", Map.of("base", Json.hex(cpu.gdtrBase()), "limit", Json.hex(cpu.gdtrLimit())));
    doc.put("idtr", Map.of("base", Json.hex(cpu.idtrBase()), "limit", Json.hex(cpu.idtrLimit())));
    Map<String, Object> segs = new LinkedHashMap<>();
    for (Segment s : Segment.values()) {
      SegmentCache sc = cpu.segment(s);
      segs.put(s.name().toLowerCase(Locale.ROOT), Map.of("selector", Json.hex(sc.selector()), "base", Json.hex(sc.base()),
          "limit", Json.hex(sc.limit()), "attributes", Json.hex(sc.attributes()), "usable", sc.usable()));
    }
    doc.put("segments", segs);
    List<Map<String, Object>> ex = new ArrayList<>();
    for (ExceptionEvent e : r.exceptions()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("vector", e.vector().mnemonic());
      m.put("errorCode", Json.hex(e.errorCode()));
      m.put("rip", Json.hex(e.rip()));
      m.put("cr2", Json.hex(e.cr2()));
      m.put("duringDeliveryOf", e.duringDeliveryOf() == null ? null : e.duringDeliveryOf().mnemonic());
      m.put("rule", e.rule());
      ex.add(m);
    }
    doc.put("exceptions", ex);
    if (!steps.isEmpty()) {
      doc.put("trace", steps.stream().map(s -> Map.of(
          "rip", Json.hex(s.rip()),
          "bytes", HexFormat.of().formatHex(s.bytes()),
          "instruction", s.disassembly(),
          "changes", s.changes().stream().map(Object::toString).toList())).toList());
    }
    return doc;
  }
}
