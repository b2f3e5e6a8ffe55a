package org.kexecsim.relocate;

import java.util.List;
import java.util.Optional;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.pagetable.RootCheck;
import org.kexecsim.transition.PrepareReport;

/**
 * Everything a transition produced.
 *
 * @param steps what happened, in order, as sentences
 * @param pre the machine's memory at the crash, before machine_kexec ran
 * @param post the memory when the run ended
 * @param entryRecord what the new kernel's entry program recorded, if it ran
 * @param problems why the entry state or the copies were not what the boot protocol expects
 * @param lastTrace the last instructions executed
 * @param pagesCopied pages the routine was to copy (normal kexec) and how many arrived intact
 * @param roundTrip with preserve_context: the return to the old kernel and what it found
 * @param cpuNanos wall time spent executing instructions (boot, load and checks excluded)
 * @param staleTranslations TLB entries used that the tables in force would not have given
 * @param idtWindow the instructions run with a zero-limit IDT, if any
 * @param purgatoryRegions how many regions purgatory's SHA-256 covers
 */
public record TransitionResult(
    TransitionRequest request,
    CrashedKernel kernel,
    PrepareReport prepare,
    RelocateRoutine routine,
    List<String> steps,
    TransitionOutcome outcome,
    String detail,
    long instructions,
    List<ExceptionEvent> exceptions,
    Optional<NewKernelEntry.EntryRecord> entryRecord,
    List<String> problems,
    int pagesToCopy,
    int pagesCopiedIntact,
    RootCheck oldPgd,
    List<StepTrace> lastTrace,
    SparseMemory pre,
    SparseMemory post,
    MachineState finalState,
    Optional<TransitionRunner.RoundTrip> roundTrip,
    long cpuNanos,
    List<org.kexecsim.cpu.StaleTranslation> staleTranslations,
    Optional<IdtWindow> idtWindow,
    int purgatoryRegions) {

  public TransitionResult {
    steps = List.copyOf(steps);
    exceptions = List.copyOf(exceptions);
    problems = List.copyOf(problems);
    lastTrace = List.copyOf(lastTrace);
    staleTranslations = List.copyOf(staleTranslations);
  }

  /**
   * Whether the crashed kernel's tables (every table page reachable from its CR3 at the crash)
   * are byte-identical after the run.
   *
   * @param changedPages table pages that differ, first few
   */
  /** Registers when the run ended, for the post image's CPU note. */
  public record MachineState(long[] gpr, long rip, long rflags, long cr0, long cr2, long cr3, long cr4, long efer,
      int cs, int ds, int ss, String mode) {}
}
