package org.kexecsim.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.cost.Cost;
import org.kexecsim.uml.cost.OperationCosts;
import org.kexecsim.uml.host.HostArch;
import org.kexecsim.uml.host.Ticks;
import org.kexecsim.uml.mode.UmlMode;
import org.kexecsim.uml.sim.PerOperation;
import org.kexecsim.uml.sim.SimulationResult;
import org.kexecsim.uml.sim.UmlSimulation;
import org.kexecsim.uml.sim.Workload;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim uml}: UML address spaces (tt, skas3, skas0) on the MMU model. */
@Command(
    name = "uml",
    description = "UML address spaces on the shared MMU model: tt, skas3 and skas0, and the SMP skas hazards.",
    subcommands = {UmlCommand.Run.class, UmlHazardCommands.Breakout.class, UmlHazardCommands.FhRace.class,
        UmlHazardCommands.FaultinfoRace.class, UmlHazardCommands.FlushRaceCommand.class})
final class UmlCommand extends CliCommand implements Runnable {
  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  /** {@code kexec-sim uml run}: the cost ledger of a workload, per guest operation. */
  @Command(
      name = "run",
      description = {
        "Boots a model UML in the given mode, runs the workload and prints what",
        "each guest operation cost on the host: syscalls, ptrace calls, signals,",
        "context switches, round trips between the UML kernel and its processes,",
        "host address-space ops, guest page faults. The table shows the mean per",
        "operation; --json also gives the sums."
      })
  static final class Run extends CliCommand implements Callable<Integer> {
    @Option(names = "--mode", required = true, description = "tt, skas3 or skas0")
    String mode;

    @Option(names = "--workload", required = true, description = "fault-storm, mmap-burst, fork-exec, ctx-switch, or a "
        + "row of the measured table: getpid, touch, read-then-write, mmap-munmap, mmap-touch-munmap, mprotect, "
        + "fork-exit-wait, fork-exec-exit-wait, pipe-pingpong")
    String workload;

    @Option(names = "--protocol", defaultValue = "2005", description = "skas0 only: 2005 (the seed's patch) or today "
        + "(the ptrace mode of Debian's 6.1 user-mode-linux: xstate, GETSIGINFO, stub queue, copy-on-write fork, "
        + "demand-paged exec) (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--ticks", defaultValue = "none", description = "--protocol today only: none, or measured (UML's "
        + "HZ=100 clock tick relayed to the current process as SIGALRM, over host time that passes at the per-call "
        + "latencies measured under strace; its share is reported apart) (default: ${DEFAULT-VALUE})")
    String ticks;

    @Option(names = "--n", defaultValue = "1000", description = "size of the workload (faults, bursts, forks, switches; default: ${DEFAULT-VALUE})")
    long n;

    @Option(names = "--arch", defaultValue = "x86_64", description = "x86_64 or i386 (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the stack randomization (default: ${DEFAULT-VALUE})")
    long seed;

    @CommandLine.Mixin JsonOutput output = new JsonOutput();

    @Override
    public Integer call() {
      UmlMode m;
      Ticks t;
      Workload w;
      HostArch a;
      try {
        m = UmlMode.parse(mode);
        org.kexecsim.uml.mode.Protocol proto = org.kexecsim.uml.mode.Protocol.parse(protocol);
        if (m instanceof UmlMode.Skas0 s) {
          m = new UmlMode.Skas0(s.options(), proto);
        } else if (proto != org.kexecsim.uml.mode.Protocol.Y2005) {
          throw new UmlInputException("--protocol " + protocol + " applies to --mode skas0 only");
        }
        t = Ticks.parse(ticks);
        if (t != Ticks.NONE && !(m instanceof UmlMode.Skas0 s0 && s0.protocol() == org.kexecsim.uml.mode.Protocol.TODAY)) {
          throw new UmlInputException("--ticks " + ticks + " applies to --mode skas0 --protocol today only");
        }
        w = Workload.parse(workload);
        a = switch (arch.toLowerCase(Locale.ROOT)) {
          case "x86_64" -> HostArch.X86_64;
          case "i386" -> HostArch.I386;
          default -> throw new UmlInputException("unknown arch '" + arch + "': expected x86_64 or i386");
        };
        if (n < 1 || n > w.maxN()) {
          throw new UmlInputException(String.format("--n %d is out of range for %s: expected 1..%d", n, w.cliName(), w.maxN()));
        }
      } catch (UmlInputException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      SimulationResult r = UmlSimulation.run(new UmlSimulation.Settings(m, w, n, a, seed, t));
      PrintWriter out = spec.commandLine().getOut();
      if (output.json) {
        Json.print(out, document(r, protocol));
      } else {
        print(out, r);
      }
      return ExitCode.OK;
    }

    private static void print(PrintWriter out, SimulationResult r) {
      out.printf("uml %s, %s, n=%d, %s: mean host cost per guest operation%n", r.mode(), r.workload(), r.n(), r.arch());
      StringBuilder head = new StringBuilder(String.format("%-15s %9s", "operation", "count"));
      for (Cost c : Cost.values()) {
        head.append(String.format(" %12s", shortName(c)));
      }
      out.println(head);
      List<OperationCosts> rows = new ArrayList<>(r.operations());
      rows.add(r.totals());
      if (!r.ticks().equals("none")) {
        rows.add(r.tickShare()); // per tick; already counted in the rows above
      }
      for (OperationCosts o : rows) {
        StringBuilder sb = new StringBuilder(String.format("%-15s %9d", o.operation(), o.count()));
        for (Cost c : Cost.values()) {
          sb.append(String.format(" %12.2f", o.perOperation(c)));
        }
        out.println(sb);
      }
      if (!r.ticks().equals("none")) {
        out.printf("clock-ticks: the clock tick's share (ticks %s), per tick; counted in the rows above too%n", r.ticks());
      }
      out.printf("round trips per guest page fault: %.2f%n", r.roundTripsPerFault());
      out.printf("per %s: %.2f ptrace calls, %.2f wait4 calls, %.2f round trips%n", r.workload(),
          r.perOperation().ptraceCalls(), r.perOperation().wait4Calls(), r.perOperation().roundTrips());
      PerOperation.TickShare t = r.perOperation().ticks();
      if (!r.ticks().equals("none")) {
        out.printf("  of which clock ticks (%s): %.4f ticks, %.4f ptrace calls, %.4f wait4 calls, %.4f round trips%n",
            r.ticks(), t.ticks(), t.ptraceCalls(), t.wait4Calls(), t.roundTrips());
      }
      for (String line : r.kernelLog()) {
        out.println("kernel: " + line);
      }
    }

    private static String shortName(Cost c) {
      return switch (c) {
        case HOST_SYSCALL -> "syscalls";
        case WAIT4 -> "wait4";
        case PTRACE -> "ptrace";
        case SIGNAL -> "signals";
        case SIGNAL_HANDLER -> "handlers";
        case CONTEXT_SWITCH -> "ctx-switches";
        case ROUND_TRIP -> "round-trips";
        case HOST_MM_OP -> "host-mm-ops";
        case GUEST_PAGE_FAULT -> "guest-faults";
      };
    }

    private static Map<String, Object> document(SimulationResult r, String protocol) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("format", "kexec-sim/uml-run/v1");
      doc.put("mode", r.mode());
      doc.put("protocol", protocol.toLowerCase(Locale.ROOT));
      doc.put("ticks", r.ticks());
      doc.put("workload", r.workload());
      doc.put("arch", r.arch());
      doc.put("n", r.n());
      List<Object> ops = new ArrayList<>();
      for (OperationCosts o : r.operations()) {
        ops.add(costs(o));
      }
      doc.put("operations", ops);
      doc.put("totals", costs(r.totals()));
      doc.put("roundTripsPerFault", r.roundTripsPerFault());
      Map<String, Object> per = new LinkedHashMap<>();
      per.put("ptraceCalls", r.perOperation().ptraceCalls());
      per.put("wait4Calls", r.perOperation().wait4Calls());
      per.put("roundTrips", r.perOperation().roundTrips());
      PerOperation.TickShare t = r.perOperation().ticks();
      Map<String, Object> tick = new LinkedHashMap<>();
      tick.put("ticks", t.ticks());
      tick.put("ptraceCalls", t.ptraceCalls());
      tick.put("wait4Calls", t.wait4Calls());
      tick.put("roundTrips", t.roundTrips());
      per.put("clockTicks", tick);
      doc.put("perOperation", per);
      doc.put("tickShare", costs(r.tickShare()));
      doc.put("kernelLog", r.kernelLog());
      return doc;
    }

    private static Map<String, Object> costs(OperationCosts o) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("operation", o.operation());
      m.put("count", o.count());
      Map<String, Object> sums = new LinkedHashMap<>();
      Map<String, Object> means = new LinkedHashMap<>();
      for (Cost c : Cost.values()) {
        sums.put(c.key(), o.get(c));
        means.put(c.key(), o.perOperation(c));
      }
      m.put("sum", sums);
      m.put("perOperation", means);
      return m;
    }
  }
}
