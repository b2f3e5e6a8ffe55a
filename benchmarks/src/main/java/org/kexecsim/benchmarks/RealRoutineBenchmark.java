package org.kexecsim.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.relocate.RelocateRoutine;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;
import org.kexecsim.routine.CPreprocessor;
import org.kexecsim.routine.RoutineFile;
import org.kexecsim.transition.TransitionDesign;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A normal kexec of a 1 GiB x86_64 machine (1542 segment pages) run by the kernel's own
 * relocate_kernel from Debian 12's vmlinux ($KSIM_VMLINUX_X86_64, else the cache path), or by
 * ours with {@code routine=ours}. The score is the whole transition; the aux counters give the
 * executor alone: instructions (a REP string instruction counts once) and the nanoseconds spent
 * executing them, so instructions per second = instructions / cpuNanos * 1e9.
 *
 * <pre>./bench RealRoutineBenchmark</pre>
 */
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class RealRoutineBenchmark extends SingleShotBenchmark {

  @Param({"vmlinux", "ours"})
  public String routine;

  RelocateRoutine code;

  /** The executor's share of one transition. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Executor {
    public long instructions;
    public long cpuNanos;

    @Setup(Level.Iteration)
    public void clear() {
      instructions = 0;
      cpuNanos = 0;
    }
  }

  @Setup
  public void load() {
    if (routine.equals("ours")) {
      code = RelocateRoutine.of("mainline", Arch.X86_64);
      return;
    }
    Path v = Path.of(System.getenv().getOrDefault("KSIM_VMLINUX_X86_64",
        "/var/cache/kexec-sim/usr/lib/debug/boot/vmlinux-6.1.0-57-amd64"));
    if (!Files.isReadable(v)) {
      throw new IllegalStateException(v + " is absent: install linux-image-6.1.0-57-amd64-dbg (see .ci/run)");
    }
    code = RoutineFile.load(v, 64, CPreprocessor.Options.NONE);
  }

  @Benchmark
  public TransitionResult normalKexec1GiB(Executor e) {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName("mainline"),
        RamMap.ofSize(1L << 30), "128M", ImageType.NORMAL, 1).withRoutine(code));
    if (r.outcome() != TransitionOutcome.ENTERED || r.pagesCopiedIntact() != r.pagesToCopy()) {
      throw new IllegalStateException("transition failed: " + r.detail() + " " + r.problems());
    }
    e.instructions += r.instructions();
    e.cpuNanos += r.cpuNanos();
    return r;
  }
}
