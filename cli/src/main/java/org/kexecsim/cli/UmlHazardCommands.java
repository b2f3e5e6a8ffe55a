package org.kexecsim.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.uml.smp.BatchPlacement;
import org.kexecsim.uml.smp.Bounds;
import org.kexecsim.uml.smp.Exploration;
import org.kexecsim.uml.smp.FaultInfoRace;
import org.kexecsim.uml.smp.FileHandleRace;
import org.kexecsim.uml.smp.FlushRace;
import org.kexecsim.uml.smp.Hazard;
import org.kexecsim.uml.smp.HazardExplorer;
import org.kexecsim.uml.smp.Sampling;
import org.kexecsim.uml.smp.Schedule;
import org.kexecsim.uml.smp.Step;
import org.kexecsim.uml.smp.StubBreakout;
import org.kexecsim.uml.smp.Verdict;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kexec-sim uml breakout | fh-race | faultinfo-race | flush-race}: the SMP skas hazards of the 2006
 * requirements explored as schedules. Exit 0 when no schedule broke, 1 when one did.
 */
final class UmlHazardCommands {
  private UmlHazardCommands() {}

  /** How many schedules, and which: shared by the three subcommands. */
  static final class ExploreOptions {
    @Option(names = "--schedules", description = "sample this many schedules (default: every schedule within the bounds)")
    Integer schedules;

    @Option(names = "--seed", description = "seed of the sampled schedules (implies sampling; default 1)")
    Long seed;

    @Option(names = "--preemptions", defaultValue = "3", description = "preemption bound (default: ${DEFAULT-VALUE})")
    int preemptions;

    @Option(names = "--max-steps", defaultValue = "64", description = "steps per CPU (default: ${DEFAULT-VALUE})")
    int maxSteps;

    @Option(names = "--max-schedules", defaultValue = "200000",
        description = "refuse an exhaustive run past this many schedules (default: ${DEFAULT-VALUE})")
    int maxSchedules;

    @Mixin JsonOutput output = new JsonOutput();
  }

  /** Explores, prints, and returns the exit code. */
  static int run(CommandLine.Model.CommandSpec spec, ExploreOptions o, Hazard hazard, boolean fixed, String setting) {
    Bounds bounds;
    Sampling sampling;
    try {
      bounds = new Bounds(o.preemptions, o.maxSteps, o.maxSchedules);
      sampling = o.schedules == null && o.seed == null
          ? new Sampling.Exhaustive()
          : new Sampling.Seeded(o.seed == null ? 1 : o.seed, o.schedules == null ? 1000 : o.schedules);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    Exploration e;
    try {
      e = HazardExplorer.explore(hazard, fixed, bounds, sampling);
    } catch (HazardExplorer.TooManySchedules tooMany) {
      throw new CommandLine.ParameterException(spec.commandLine(), tooMany.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    if (o.output.json) {
      Json.print(out, document(e, hazard, setting));
    } else {
      print(out, e, hazard, setting);
    }
    return e.broke() > 0 ? ExitCode.NEGATIVE : ExitCode.OK;
  }

  private static String describe(Sampling s) {
    return switch (s) {
      case Sampling.Exhaustive x -> "every schedule";
      case Sampling.Seeded x -> String.format("%d schedules sampled with seed %d", x.schedules(), x.seed());
    };
  }

  private static void print(PrintWriter out, Exploration e, Hazard h, String setting) {
    out.printf("uml %s, %s (fix %s: %s)%n", h.name(), setting, e.fixed() ? "in" : "out", h.fix());
    out.printf("%s within %d preemptions and %d steps per CPU%n", describe(e.sampling()),
        e.bounds().maxPreemptions(), e.bounds().maxStepsPerCpu());
    out.printf("schedules explored: %d (%d distinct)%n", e.explored(), e.distinct());
    out.printf("schedules that broke: %d%n", e.broke());
    if (e.cut() > 0) {
      out.printf("schedules cut by the step bound: %d%n", e.cut());
    }
    e.firstBad().ifPresentOrElse(s -> {
      out.println("first bad schedule:");
      out.print(s.print().indent(2));
    }, () -> out.println("no schedule broke"));
  }

  private static Map<String, Object> document(Exploration e, Hazard h, String setting) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", "kexec-sim/uml-hazard/v1");
    doc.put("hazard", h.name());
    doc.put("setting", setting);
    doc.put("fixed", e.fixed());
    doc.put("fix", h.fix());
    Map<String, Object> s = new LinkedHashMap<>();
    switch (e.sampling()) {
      case Sampling.Exhaustive x -> s.put("kind", "exhaustive");
      case Sampling.Seeded x -> {
        s.put("kind", "seeded");
        s.put("seed", x.seed());
        s.put("schedules", x.schedules());
      }
    }
    doc.put("sampling", s);
    doc.put("maxPreemptions", e.bounds().maxPreemptions());
    doc.put("maxStepsPerCpu", e.bounds().maxStepsPerCpu());
    doc.put("explored", e.explored());
    doc.put("distinct", e.distinct());
    doc.put("broke", e.broke());
    doc.put("cut", e.cut());
    doc.put("firstBad", e.firstBad().map(UmlHazardCommands::schedule).orElse(null));
    return doc;
  }

  private static Map<String, Object> schedule(Schedule s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("choices", s.choices());
    List<Object> steps = new ArrayList<>();
    for (Step st : s.steps()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("index", st.index());
      x.put("cpu", st.cpu());
      x.put("actor", st.actor());
      x.put("action", st.action());
      steps.add(x);
    }
    m.put("steps", steps);
    m.put("verdict", switch (s.verdict()) {
      case Verdict.Held v -> "held";
      case Verdict.Broke v -> "broke: " + v.why();
      case Verdict.Cut v -> "cut: " + v.why();
    });
    return m;
  }

  static boolean onOff(CommandLine.Model.CommandSpec spec, String option, String value) {
    return switch (value) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be on or off, got '" + value + "'");
    };
  }

  /** A hazard subcommand: how many schedules to explore, and where to print. */
  abstract static class HazardCommand extends CliCommand implements Callable<Integer> {
    @Mixin ExploreOptions options;
  }

  /** A hazard whose fix is a lock, switched by {@code --lock on|off}. */
  abstract static class LockedHazard extends HazardCommand {
    @Option(names = "--lock", required = true, description = "off or on")
    String lock;

    abstract Hazard hazard();

    abstract String setting();

    @Override
    public Integer call() {
      boolean on = onOff(spec, "--lock", lock);
      return run(spec, options, hazard(), on, setting());
    }
  }

  @Command(
      name = "breakout",
      description = {
        "Thread 1 of a guest process rewrites a queued register set of the skas0",
        "stub into execve(\"/bin/bash\") while the stub runs thread 0's batch (2006",
        "SMP requirements). With --batch-in code-page the records live in a page the",
        "process can only read and the flush is serialized."
      })
  static final class Breakout extends HazardCommand {
    @Option(names = "--batch-in", required = true, description = "data-page (2005 skas0) or code-page (the fix)")
    String batchIn;

    @Override
    public Integer call() {
      BatchPlacement p;
      try {
        p = BatchPlacement.parse(batchIn);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      return run(spec, options, new StubBreakout(), p == BatchPlacement.CODE_PAGE, "batch in " + p.cliName());
    }
  }

  @Command(
      name = "fh-race",
      description = {
        "The filehandle layer reclaims host descriptors on EMFILE; a reclaim on",
        "another CPU between a user's check and its use leaves it a closed or",
        "reused descriptor. --pinning on wraps uses in get_fh()/put_fh()."
      })
  static final class FhRace extends HazardCommand {
    @Option(names = "--pinning", required = true, description = "off or on (get_fh/put_fh)")
    String pinning;

    @Override
    public Integer call() {
      boolean on = onOff(spec, "--pinning", pinning);
      return run(spec, options, new FileHandleRace(), on, "pinning " + pinning);
    }
  }

  @Command(
      name = "flush-race",
      description = {
        "Two threads of one mm flush through the one read-only records page at once;",
        "unserialized, one overwrites the other's register sets and an munmap is lost.",
        "--lock on serializes fix_range_common per mm."
      })
  static final class FlushRaceCommand extends LockedHazard {
    @Override
    Hazard hazard() {
      return new FlushRace();
    }

    @Override
    String setting() {
      return "flush lock " + lock;
    }
  }

  @Command(
      name = "faultinfo-race",
      description = {
        "Threads of one process take SIGSEGV at once on different CPUs; their",
        "handlers share the mm's one stub data page. --lock on serializes",
        "get_skas_faultinfo per process."
      })
  static final class FaultinfoRace extends LockedHazard {
    @Option(names = "--cpus", defaultValue = "2", description = "virtual CPUs, 2..4 (default: ${DEFAULT-VALUE})")
    int cpus;

    @Override
    Hazard hazard() {
      try {
        return new FaultInfoRace(cpus);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }

    @Override
    String setting() {
      return "lock " + lock + ", " + cpus + " CPUs";
    }
  }
}
