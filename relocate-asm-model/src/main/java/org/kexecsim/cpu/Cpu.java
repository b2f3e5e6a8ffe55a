package org.kexecsim.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.kexecsim.isa.AttSyntax;
import org.kexecsim.isa.Decoded;
import org.kexecsim.isa.Decoder;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ControlRegister;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingState;

/**
 * An x86 CPU in protected mode (32-bit, with or without 32-bit or PAE paging) or IA-32e mode
 * (64-bit and compatibility), executing machine code fetched through the MMU and a {@link Tlb} ({@link TlbUnit}):
 * a global translation made before a MOV to CR3 may still be used after it, as on hardware
 * (SDM §4.10.4.1), and each such use that the new tables would not give is recorded as a {@link
 * StaleTranslation}. The {@link CpuModel} decides the leniencies (QEMU TCG: PAE PDPTEs read on
 * every walk, unchecked at the load; every MOV to CR3 flushes all).
 *
 * <p>Mode follows the hardware rules: CR0.PE/PG, EFER.LME/LMA and CS.L decide legacy, compatibility
 * or 64-bit mode (SDM Vol. 3A §2.2, §9.8.5). Real mode is out of scope: clearing CR0.PE stops the
 * machine. CPL is CS.RPL. Not thread-safe.
 *
 * <p>This class holds the architectural state and runs the fetch-decode-execute loop; each concern
 * of the machine has its own class: {@link InstructionFetch}, the {@link Executor} and its units,
 * {@link Segmentation}, {@link LinearMemory} (paging through the {@link TlbUnit}) and {@link
 * ExceptionDelivery}.
 */
public final class Cpu {
  final long[] gpr = new long[16];
  long rip;
  long rflags = Rflags.FIXED;
  long cr2;
  ControlState control;
  PagingState paging;
  final SegmentCache[] segments = new SegmentCache[6];
  long gdtrBase;
  int gdtrLimit;
  long idtrBase;
  int idtrLimit;

  final PhysicalMemory memory;
  final CpuFeatures features;
  final PageWalker walker;
  final CpuModel model;
  final TlbUnit tlb = new TlbUnit(this);
  private final Decoder decoder = new Decoder();
  private final Executor executor;
  final Segmentation segmentation = new Segmentation(this);
  final LinearMemory linear = new LinearMemory(this);
  private final InstructionFetch fetcher = new InstructionFetch(this);
  private final ExceptionDelivery delivery = new ExceptionDelivery(this);

  private RunState state = RunState.RUNNING;
  private String stopReason;
  private long steps;
  private final List<ExceptionEvent> exceptions = new ArrayList<>();

  /** Non-null while tracing: collects memory writes and exceptions of the current step. */
  List<StepTrace.Change> stepChanges;
  private Consumer<StepTrace> tracer;

  /**
   * A CPU in the state {@code control} describes (already validated, e.g. by {@link
   * ControlRegisterRules#establish}), with flat 32-bit code and data segments, RIP 0 and empty
   * descriptor tables. Callers set the rest through the setters.
   */
  public Cpu(PhysicalMemory memory, ControlState control, CpuFeatures features) {
    this(memory, control, features, CpuModel.HARDWARE);
  }

  /** As {@link #Cpu(PhysicalMemory, ControlState, CpuFeatures)}, behaving as {@code model}. */
  public Cpu(PhysicalMemory memory, ControlState control, CpuFeatures features, CpuModel model) {
    this.memory = memory;
    this.features = features;
    this.model = model;
    this.walker = new PageWalker(memory);
    this.executor = new Executor(this);
    setControl(control);
    SegmentCache code32 = SegmentCache.fromDescriptor(0x10, 0x00cf_9b00_0000_ffffL);
    segments[Segment.CS.ordinal()] = code32;
    for (Segment s : Segment.values()) {
      if (s != Segment.CS) {
        segments[s.ordinal()] = SegmentCache.flatData(0x18);
      }
    }
  }

  // ---- state accessors ----------------------------------------------------------------------

  public long register(int number) {
    return gpr[number];
  }

  public void setRegister(int number, long value) {
    gpr[number] = value;
  }

  public long rip() {
    return rip;
  }

  public void setRip(long rip) {
    this.rip = rip;
  }

  public long rflags() {
    return rflags;
  }

  public void setRflags(long value) {
    this.rflags = value | Rflags.FIXED;
  }

  public long cr2() {
    return cr2;
  }

  public void setCr2(long cr2) {
    this.cr2 = cr2;
  }

  public ControlState control() {
    return control;
  }

  /** INVLPG: see {@link TlbUnit#invalidatePage}. */
  void invalidatePage(long linear) {
    tlb.invalidatePage(linear);
  }

  /**
   * Replaces the control registers wholesale (machine set-up; instructions go through the rules).
   * The TLB starts empty: nothing was cached under a state the CPU never ran in.
   */
  public void setControl(ControlState control) {
    applyControl(control);
    tlb.flushAll();
  }

  private void applyControl(ControlState control) {
    this.control = control;
    this.paging = PagingState.of(control, features, model);
  }

  public CpuModel model() {
    return model;
  }

  /** Translations used from the TLB that the tables in force would not have given, in order. */
  public List<StaleTranslation> staleTranslations() {
    return tlb.stale();
  }

  /** How many translations the TLB holds, and of them global ones. */
  public int tlbEntries() {
    return tlb.size();
  }

  public int tlbGlobalEntries() {
    return tlb.globalCount();
  }

  public SegmentCache segment(Segment s) {
    return segments[s.ordinal()];
  }

  /** Sets a segment register's selector and hidden cache directly (machine set-up). */
  public void setSegment(Segment s, SegmentCache cache) {
    segments[s.ordinal()] = cache;
  }

  public long gdtrBase() {
    return gdtrBase;
  }

  public int gdtrLimit() {
    return gdtrLimit;
  }

  public long idtrBase() {
    return idtrBase;
  }

  public int idtrLimit() {
    return idtrLimit;
  }

  public void setGdtr(long base, int limit) {
    this.gdtrBase = base;
    this.gdtrLimit = limit & 0xFFFF;
  }

  public void setIdtr(long base, int limit) {
    this.idtrBase = base;
    this.idtrLimit = limit & 0xFFFF;
  }

  public PhysicalMemory memory() {
    return memory;
  }

  public RunState state() {
    return state;
  }

  public String stopReason() {
    return stopReason;
  }

  public long steps() {
    return steps;
  }

  public List<ExceptionEvent> exceptions() {
    return List.copyOf(exceptions);
  }

  /** Calls {@code sink} after every step with what it did; null turns tracing off. */
  public void setTracer(Consumer<StepTrace> sink) {
    this.tracer = sink;
  }

  public int cpl() {
    return segments[Segment.CS.ordinal()].rpl();
  }

  /** IA-32e mode active (EFER.LMA). */
  public boolean longModeActive() {
    return control.longModeActive();
  }

  /** 64-bit mode: IA-32e mode with CS.L=1. */
  public boolean in64BitMode() {
    return control.longModeActive() && segments[Segment.CS.ordinal()].longMode();
  }

  /** The default operand/address width of the code now executing: 64 or 32. */
  public int bits() {
    return in64BitMode() ? 64 : 32;
  }

  /** The current mode in words, e.g. "64-bit", "compatibility", "protected (PAE paging)". */
  public String modeName() {
    if (in64BitMode()) {
      return "64-bit";
    }
    if (longModeActive()) {
      return "compatibility";
    }
    return "protected (" + switch (control.mode()) {
      case DISABLED -> "paging off";
      case BITS32 -> "32-bit paging";
      case PAE -> "PAE paging";
      case LEVEL4, LEVEL5 -> "IA-32e paging";
    } + ")";
  }

  // ---- running ------------------------------------------------------------------------------

  /** Runs until HLT, a triple fault, a stop, or {@code maxSteps} instructions. */
  public RunResult run(long maxSteps) {
    long start = steps;
    while (state == RunState.RUNNING && steps - start < maxSteps) {
      step();
    }
    return new RunResult(state, steps, stopReason, exceptions);
  }

  /** Executes one instruction (a whole REP string instruction counts as one). */
  public void step() {
    if (state != RunState.RUNNING) {
      return;
    }
    long startRip = rip;
    Snapshot before = null;
    if (tracer != null) {
      before = Snapshot.of(this);
      stepChanges = new ArrayList<>();
    }
    fetcher.reset();
    Decoded decoded = null;
    int bits = bits();
    try {
      if ((control.cr0() & Cr0.PE) == 0) {
        throw new MachineStop("CR0.PE=0: real mode is not modelled");
      }
      decoded = decoder.decode(fetcher, rip, bits);
      long next = rip + decoded.length();
      executor.execute(decoded.instruction(), bits == 64 ? next : next & 0xFFFF_FFFFL, bits);
    } catch (CpuFault f) {
      rip = startRip; // faults are restartable: RIP names the faulting instruction
      delivery.raise(f, startRip, false);
    } catch (Executor.SoftwareInterrupt si) {
      delivery.raise(si.fault, rip, true); // a trap: RIP already names the next instruction
    } catch (MachineStop s) {
      rip = startRip;
      state = RunState.STOPPED;
      stopReason = s.getMessage();
    } catch (PhysicalAccessException e) {
      rip = startRip;
      state = RunState.STOPPED;
      stopReason = "physical access outside RAM: " + e.getMessage();
    }
    steps++;
    if (tracer != null) {
      String text = decoded == null ? "(fetch faulted)" : AttSyntax.format(decoded.instruction(), startRip, decoded.length(), bits);
      List<StepTrace.Change> changes = new ArrayList<>(before.diff(Snapshot.of(this)));
      changes.addAll(stepChanges);
      stepChanges = null;
      tracer.accept(new StepTrace(startRip, fetcher.fetched(), text, changes));
    }
  }

  /**
   * The instruction at RIP in AT&T syntax, fetched as the next step will fetch it (the same
   * translations, so the same TLB fills and accessed bits), or "(fetch faults)".
   */
  public String peekInstruction() {
    long savedCr2 = cr2;
    fetcher.reset();
    try {
      int bits = bits();
      Decoded d = decoder.decode(fetcher, rip, bits);
      return AttSyntax.format(d.instruction(), rip, d.length(), bits);
    } catch (CpuFault | PhysicalAccessException e) {
      cr2 = savedCr2;
      return "(fetch faults)";
    }
  }

  /**
   * Leaves the HLT state as an interrupt or NMI would, to run on from the current RIP. A
   * shutdown (triple fault) or a stop is final.
   */
  public void resume() {
    if (state == RunState.HALTED) {
      state = RunState.RUNNING;
    }
  }

  void halt() {
    state = RunState.HALTED;
  }

  /** Ends the run: a shutdown or a stop the machine cannot go on from. */
  void stop(RunState s, String reason) {
    state = s;
    stopReason = reason;
  }

  /** Keeps an exception taken (and shows it to the tracer of this step). */
  void record(ExceptionEvent e) {
    exceptions.add(e);
    if (stepChanges != null) {
      stepChanges.add(new StepTrace.Exception(e));
    }
  }

  /**
   * An NMI arrives before the next instruction: IF does not mask it (SDM §6.7.1); it is delivered
   * through IDT vector 2 as an external event (EXT=1 in a delivery #GP's error code) and, like a
   * fault, may escalate to #DF and shutdown. A halted CPU wakes to take it.
   */
  public void deliverNmi() {
    if (state == RunState.HALTED) {
      state = RunState.RUNNING;
    }
    if (state != RunState.RUNNING) {
      return;
    }
    delivery.raise(new CpuFault(ExceptionVector.NMI, 0, "non-maskable interrupt (IF=0 does not mask it, SDM §6.7.1)"), rip, false);
  }


  // ---- control registers --------------------------------------------------------------------

  /** MOV to CR0/CR3/CR4 or WRMSR EFER, applying kexec-core's rules; a refusal is the fault it names. */
  void writeControl(ControlRegister register, long value) {
    ControlWrite w = ControlRegisterRules.write(control, register, value, in64BitMode(), cpl(), memory, features, model);
    switch (w) {
      case ControlWrite.Accepted a -> {
        ControlState old = control;
        applyControl(a.state());
        tlb.afterControlWrite(register, value, old, a.state());
      }
      case ControlWrite.Refused r -> throw new CpuFault(r.vector(), r.errorCode(), r.rule());
    }
  }

  // ---- segmentation and linear memory: Segmentation, LinearMemory ----------------------------

  /**
   * The GDT descriptor for {@code selector} as the CPU would read it now (through cpu.paging), or
   * empty when the selector is null, in an LDT, beyond GDTR.limit or unmapped. For machine set-up.
   */
  public java.util.OptionalLong gdtDescriptor(int selector) {
    if ((selector & 0xFFFC) == 0) {
      return java.util.OptionalLong.empty();
    }
    try {
      return java.util.OptionalLong.of(segmentation.readDescriptor(selector, 0));
    } catch (CpuFault f) {
      return java.util.OptionalLong.empty();
    }
  }



  /** A data read through a segment register: its segmentation checks, then the linear read. */
  long read(Segment seg, long offset, int size) {
    return linear.readLinear(segmentation.segmentLinear(seg, offset, size, false), size, Access.READ);
  }

  /** A data write through a segment register: its segmentation checks, then the linear write. */
  void write(Segment seg, long offset, int size, long value) {
    linear.writeLinear(segmentation.segmentLinear(seg, offset, size, true), size, value);
  }


}
