package org.kexecsim.analyzer.diff;

import java.util.Optional;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.Progress;
import org.kexecsim.memory.RamRange;

/**
 * What the diff knows about the images besides their bytes.
 *
 * @param crashRegion the crashkernel= reservation, if known
 * @param oldKernelPaging the old kernel's paging over image A, to tag its table pages
 * @param kernelText the old kernel's text as a physical range
 * @param threads workers for comparing; 0 means one per available core
 * @param progress told the bytes compared as chunks finish
 */
public record DiffOptions(Optional<RamRange> crashRegion, Optional<PagingContext> oldKernelPaging,
    Optional<RamRange> kernelText, int threads, Progress progress) {
  public static final DiffOptions NONE =
      new DiffOptions(Optional.empty(), Optional.empty(), Optional.empty(), 0, Progress.NONE);

  public DiffOptions withCrashRegion(RamRange r) {
    return new DiffOptions(Optional.of(r), oldKernelPaging, kernelText, threads, progress);
  }

  public DiffOptions withOldKernelPaging(PagingContext p) {
    return new DiffOptions(crashRegion, Optional.of(p), kernelText, threads, progress);
  }

  public DiffOptions withKernelText(RamRange r) {
    return new DiffOptions(crashRegion, oldKernelPaging, Optional.of(r), threads, progress);
  }

  public DiffOptions withProgress(Progress p) {
    return new DiffOptions(crashRegion, oldKernelPaging, kernelText, threads, p);
  }

  public DiffOptions withThreads(int n) {
    return new DiffOptions(crashRegion, oldKernelPaging, kernelText, n, progress);
  }
}
