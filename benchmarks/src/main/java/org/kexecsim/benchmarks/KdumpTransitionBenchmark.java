package org.kexecsim.benchmarks;

import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;
import org.kexecsim.transition.TransitionDesign;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A whole kdump transition of a 64 GiB x86_64 machine with a 256 MiB crash region: boot the
 * synthetic kernel, load the image, build the design's tables, snapshot, run the routine to the
 * new kernel's entry. Run in a 1 GiB heap, so the "under 1 GiB" target is checked by the run
 * not failing. Target: under 2 s per transition.
 *
 * <pre>./bench KdumpTransitionBenchmark</pre>
 */
@Warmup(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class KdumpTransitionBenchmark extends SingleShotBenchmark {

  @Param({"mainline", "page-table-a"})
  public String design;

  @Benchmark
  public TransitionResult transition64GiB() {
    TransitionResult r = TransitionRunner.run(TransitionRequest.of(Arch.X86_64, TransitionDesign.fromCliName(design),
        RamMap.ofSize(64L << 30), "256M", ImageType.CRASH, 1));
    if (r.outcome() != TransitionOutcome.ENTERED) {
      throw new IllegalStateException("transition failed: " + r.detail());
    }
    return r;
  }
}
