package org.kexecsim.robustness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.relocate.CrashConditions;
import org.kexecsim.relocate.IdtWindow;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;

/**
 * Runs every row against every case: kdump (a crash image) on a 1 GiB machine with
 * crashkernel=128M, one seed. Each row's clean run also finds its zero-limit-IDT window, where
 * the in-window NMI is then aimed.
 *
 * @param rowWindows each row's window in its clean run (empty when it has none)
 */
public record RobustnessMatrix(CpuModel model, long seed, List<RobustnessRow> rows, List<RobustnessCase> cases,
    List<Cell> cells, Map<RobustnessRow, Optional<IdtWindow>> rowWindows) {

  public static final long RAM = 1L << 30;
  public static final String CRASHKERNEL = "128M";
  private static final long MAX_STEPS = 2_000_000;

  /**
   * One cell.
   *
   * @param outcome how the transition ended; null when the case does not apply (no window)
   * @param text the outcome in words, with the faulting instruction
   * @param survived entered the new kernel, or for a tampered image purgatory refused it
   */
  public record Cell(RobustnessRow row, RobustnessCase robustnessCase, TransitionOutcome outcome, String text,
      boolean survived, Expectation expected) {

    public boolean asExpected() {
      return outcome == null || survived == expected.survives(); // a case that does not apply surprises nobody
    }

    /** A design the kernel ships today failing a case it is meant to survive. */
    public boolean regression() {
      return row.shippedToday() && expected.survives() && !survived;
    }
  }

  public static RobustnessMatrix run(CpuModel model, long seed) {
    return run(model, seed, RobustnessRow.all(), List.of(RobustnessCase.values()));
  }

  public static RobustnessMatrix run(CpuModel model, long seed, List<RobustnessRow> rows, List<RobustnessCase> cases) {
    List<Cell> cells = new ArrayList<>();
    Map<RobustnessRow, Optional<IdtWindow>> windows = new LinkedHashMap<>();
    for (RobustnessRow row : rows) {
      TransitionResult clean = run(row, model, seed, RobustnessCase.CLEAN, OptionalLong.empty());
      Optional<IdtWindow> window = clean.idtWindow();
      windows.put(row, window);
      for (RobustnessCase c : cases) {
        Expectation e = Expectations.of(row, c, model);
        if (c == RobustnessCase.CLEAN) {
          cells.add(cell(row, c, clean, e));
          continue;
        }
        OptionalLong nmi = switch (c.nmi()) {
          case NONE -> OptionalLong.empty();
          case FIRST -> OptionalLong.of(1);
          case WINDOW -> window.map(w -> OptionalLong.of(w.first())).orElse(OptionalLong.empty());
        };
        if (c.nmi() == RobustnessCase.Nmi.WINDOW && nmi.isEmpty()) {
          cells.add(new Cell(row, c, null, "no zero-limit-IDT window", true, e));
          continue;
        }
        cells.add(cell(row, c, run(row, model, seed, c, nmi), e));
      }
    }
    return new RobustnessMatrix(model, seed, List.copyOf(rows), List.copyOf(cases), cells, windows);
  }

  private static TransitionResult run(RobustnessRow row, CpuModel model, long seed, RobustnessCase c, OptionalLong nmi) {
    TransitionRequest req = TransitionRequest.of(row.arch(), row.design(), RamMap.ofSize(RAM), CRASHKERNEL, ImageType.CRASH, seed);
    req = new TransitionRequest(req.scenario(), false, row.v1(), false, MAX_STEPS, req.routine(), req.abi(), false,
        new CrashConditions(model, c.damage(), nmi));
    return TransitionRunner.run(req);
  }

  private static Cell cell(RobustnessRow row, RobustnessCase c, TransitionResult r, Expectation e) {
    boolean survived = c == RobustnessCase.CRASH_IMAGE ? r.outcome() == TransitionOutcome.PURGATORY_REFUSED
        : r.outcome() == TransitionOutcome.ENTERED;
    return new Cell(row, c, r.outcome(), describe(r), survived, e);
  }

  /** "entered", "purgatory refused", "triple fault at 12: #GP at 0x... ljmp ...". */
  static String describe(TransitionResult r) {
    return switch (r.outcome()) {
      case ENTERED -> "entered";
      case PURGATORY_REFUSED -> "purgatory refused";
      case TRIPLE_FAULT, FAULTED -> {
        if (r.exceptions().size() > 1 && r.exceptions().get(1).duringDeliveryOf() == ExceptionVector.NMI) {
          ExceptionEvent nmi = r.exceptions().getFirst();
          String chain = r.exceptions().stream().skip(1).map(x -> x.vector().mnemonic()
              + (x.vector().pushesErrorCode() && x.vector() != ExceptionVector.DF
                  ? String.format("(0x%x)", x.errorCode()) : "")).collect(java.util.stream.Collectors.joining(", "));
          yield String.format("%s: the NMI before instruction %d (at 0x%x) found no usable gate: %s",
              r.outcome() == TransitionOutcome.TRIPLE_FAULT ? "triple fault" : "faulted into the crashed kernel",
              r.request().conditions().nmiBefore().orElse(0), nmi.rip(), chain);
        }
        ExceptionEvent first = r.exceptions().stream()
            .filter(x -> x.vector() != ExceptionVector.NMI).findFirst()
            .orElse(r.exceptions().getFirst());
        String insn = r.lastTrace().stream().filter(t -> t.rip() == first.rip()).map(StepTrace::disassembly)
            .reduce((a, b) -> b).map(String::strip).orElse("(not executed)");
        yield String.format("%s at %d: %s at 0x%x %s", r.outcome() == TransitionOutcome.TRIPLE_FAULT ? "triple fault"
            : "faulted into the crashed kernel", r.instructions(), first.vector().mnemonic(), first.rip(), insn.equals("(fetch faulted)") ? "(its fetch)" : insn);
      }
      default -> r.outcome().text() + (r.detail().isEmpty() ? "" : ": " + r.detail());
    };
  }

  /** Shipped-today regressions: the reason for a non-zero exit. */
  public List<Cell> regressions() {
    return cells.stream().filter(Cell::regression).toList();
  }

  public List<Cell> surprises() {
    return cells.stream().filter(c -> !c.asExpected()).toList();
  }
}
