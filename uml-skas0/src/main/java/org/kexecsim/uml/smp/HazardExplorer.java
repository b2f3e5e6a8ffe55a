package org.kexecsim.uml.smp;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Runs a hazard under many schedules. A schedule is the CPU chosen at each step; a CPU can be
 * chosen when it has work, is not blocked and is under the step bound. Switching away from the
 * CPU that just ran while it could go on is a preemption, and the bound caps those. Exhaustive
 * exploration is a depth-first search that replays every schedule from a fresh machine
 * (stateless model checking), trying "keep running the same CPU" first; seeded sampling draws
 * each choice from one {@link SplittableRandom}. Both are deterministic.
 */
public final class HazardExplorer {
  private HazardExplorer() {}

  /** Exhaustive within {@code bounds}. */
  public static Exploration explore(Hazard hazard, boolean fixed, Bounds bounds) {
    return explore(hazard, fixed, bounds, new Sampling.Exhaustive());
  }

  /** An exhaustive exploration that would exceed its schedule budget: the bounds are the caller's to tighten. */
  public static final class TooManySchedules extends IllegalStateException {
    TooManySchedules(String message) {
      super(message);
    }
  }

  public static Exploration explore(Hazard hazard, boolean fixed, Bounds bounds, Sampling sampling) {
    return explore(hazard, fixed, bounds, sampling, s -> { });
  }

  /** As {@link #explore(Hazard, boolean, Bounds, Sampling)}, handing every schedule to {@code each}. */
  public static Exploration explore(Hazard hazard, boolean fixed, Bounds bounds, Sampling sampling,
      java.util.function.Consumer<Schedule> each) {
    Tally t = new Tally(each);
    switch (sampling) {
      case Sampling.Exhaustive e -> {
        List<Integer> forced = List.of();
        while (true) {
          Run run = run(hazard, fixed, bounds, forced, null);
          t.add(run.schedule);
          if (t.explored > bounds.maxSchedules()) {
            throw new TooManySchedules(String.format(
                "%s has more than %d schedules within %d preemptions and %d steps per CPU: tighten the bounds or sample",
                hazard.name(), bounds.maxSchedules(), bounds.maxPreemptions(), bounds.maxStepsPerCpu()));
          }
          int i = run.options.size() - 1;
          while (i >= 0 && run.picked.get(i) + 1 >= run.options.get(i).size()) {
            i--;
          }
          if (i < 0) {
            break;
          }
          List<Integer> next = new ArrayList<>(run.schedule.choices().subList(0, i));
          next.add(run.options.get(i).get(run.picked.get(i) + 1));
          forced = next;
        }
      }
      case Sampling.Seeded s -> {
        SplittableRandom root = new SplittableRandom(s.seed());
        for (int k = 0; k < s.schedules(); k++) {
          t.add(run(hazard, fixed, bounds, List.of(), root.split()).schedule);
        }
      }
    }
    return new Exploration(hazard.name(), fixed, bounds, sampling, t.explored, t.distinct.size(), t.broke, t.cut,
        Optional.ofNullable(t.firstBad), t.fingerprint);
  }

  /** Replays {@code choices} on a fresh machine: the schedule they make, step by step. */
  public static Schedule replay(Hazard hazard, boolean fixed, Bounds bounds, List<Integer> choices) {
    Run r = run(hazard, fixed, bounds, choices, null);
    if (r.schedule.choices().size() < choices.size()) {
      throw new IllegalArgumentException("the machine finished after " + r.schedule.choices().size()
          + " of " + choices.size() + " choices");
    }
    return r.schedule;
  }

  private static final class Tally {
    int explored;
    int broke;
    int cut;
    Schedule firstBad;
    final Set<List<Integer>> distinct = new HashSet<>();
    long fingerprint = 1125899906842597L;
    final java.util.function.Consumer<Schedule> each;

    Tally(java.util.function.Consumer<Schedule> each) {
      this.each = each;
    }

    void add(Schedule s) {
      each.accept(s);
      explored++;
      distinct.add(s.choices());
      for (int c : s.choices()) {
        fingerprint = 31 * fingerprint + c;
      }
      fingerprint = 31 * fingerprint + s.verdict().getClass().getSimpleName().hashCode();
      switch (s.verdict()) {
        case Verdict.Broke b -> {
          broke++;
          if (firstBad == null) {
            firstBad = s;
          }
        }
        case Verdict.Cut c -> cut++;
        case Verdict.Held h -> { }
      }
    }
  }

  private record Run(Schedule schedule, List<List<Integer>> options, List<Integer> picked) {}

  private static Run run(Hazard hazard, boolean fixed, Bounds bounds, List<Integer> forced, SplittableRandom random) {
    Interleaving m = hazard.start(fixed);
    int n = m.cpus().size();
    int[] taken = new int[n];
    int last = -1;
    int preemptions = 0;
    List<Integer> choices = new ArrayList<>();
    List<Step> steps = new ArrayList<>();
    List<List<Integer>> options = new ArrayList<>();
    List<Integer> picked = new ArrayList<>();
    while (true) {
      List<Integer> enabled = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        if (m.cpu(c).ready() && taken[c] < bounds.maxStepsPerCpu()) {
          enabled.add(c);
        }
      }
      if (enabled.isEmpty()) {
        break;
      }
      boolean lastCanGoOn = enabled.contains(last);
      List<Integer> opts = new ArrayList<>();
      if (lastCanGoOn) {
        opts.add(last); // no preemption first
      }
      if (!lastCanGoOn || preemptions < bounds.maxPreemptions()) {
        for (int c : enabled) {
          if (c != last) {
            opts.add(c);
          }
        }
      }
      int d = choices.size();
      int choice;
      if (d < forced.size()) {
        choice = forced.get(d);
        if (!opts.contains(choice)) {
          throw new IllegalArgumentException("choice " + d + ": cpu" + choice + " cannot run, options " + opts);
        }
      } else if (random != null) {
        choice = opts.get(random.nextInt(opts.size()));
      } else {
        choice = opts.getFirst();
      }
      if (lastCanGoOn && choice != last) {
        preemptions++;
      }
      options.add(opts);
      picked.add(opts.indexOf(choice));
      choices.add(choice);
      VirtualCpu.Did did = m.cpu(choice).step();
      taken[choice]++;
      steps.add(new Step(steps.size() + 1, choice, did.actor(), did.action()));
      last = choice;
    }
    if (m.cpus().stream().allMatch(VirtualCpu::finished)) {
      m.finish();
    }
    Verdict v;
    Optional<String> broke = m.breakage();
    if (broke.isPresent()) {
      v = new Verdict.Broke(broke.get());
    } else {
      List<String> stuck = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        if (!m.cpu(c).finished()) {
          stuck.add("cpu" + c + (taken[c] >= bounds.maxStepsPerCpu() ? " at the step bound" : " blocked"));
        }
      }
      if (stuck.isEmpty()) {
        v = new Verdict.Held();
      } else if (stuck.stream().anyMatch(s -> s.endsWith("bound"))) {
        v = new Verdict.Cut(String.join(", ", stuck));
      } else {
        throw new IllegalStateException(hazard.name() + " deadlocks: " + String.join(", ", stuck) + "\n"
            + new Schedule(choices, steps, new Verdict.Cut("deadlock")).print());
      }
    }
    return new Run(new Schedule(choices, steps, v), options, picked);
  }
}
