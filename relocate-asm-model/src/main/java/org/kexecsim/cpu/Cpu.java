package org.kexecsim.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.kexecsim.isa.AttSyntax;
import org.kexecsim.isa.ByteSource;
import org.kexecsim.isa.Decoded;
import org.kexecsim.isa.Decoder;
import org.kexecsim.isa.Gpr;
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
import org.kexecsim.mmu.PagingMode;
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
  private final Fetcher fetcher = new Fetcher();

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
      raise(f, startRip, false);
    } catch (Executor.SoftwareInterrupt si) {
      raise(si.fault, rip, true); // a trap: RIP already names the next instruction
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
    raise(new CpuFault(ExceptionVector.NMI, 0, "non-maskable interrupt (IF=0 does not mask it, SDM §6.7.1)"), rip, false);
  }

  /**
   * Delivers {@code first} and whatever its delivery raises, applying SDM §6.15 (Tables 6-4, 6-5):
   * contributory+contributory and #PF+(contributory or #PF) become #DF; a benign first exception
   * lets the second be handled serially; anything raised while delivering #DF shuts down.
   */
  private void raise(CpuFault first, long returnRip, boolean software) {
    ExceptionVector vector = first.vector;
    int code = first.errorCode;
    record(new ExceptionEvent(vector, code, returnRip, cr2, null, first.rule));
    while (true) {
      try {
        deliver(vector, code, !software, returnRip, software);
        return;
      } catch (CpuFault second) {
        record(new ExceptionEvent(second.vector, second.errorCode, returnRip, cr2, vector, second.rule));
        if (vector == ExceptionVector.DF) {
          state = RunState.TRIPLE_FAULT;
          stopReason = "triple fault: " + second.vector.mnemonic() + " while delivering #DF (SDM §6.15: shutdown)";
          return;
        }
        if (doubleFault(vector, second.vector)) {
          ExceptionVector delivering = vector;
          vector = ExceptionVector.DF;
          code = 0; // #DF pushes error code 0 (SDM §6.15 interrupt 8)
          record(new ExceptionEvent(vector, 0, returnRip, cr2, null,
              second.vector.mnemonic() + " while delivering " + delivering.mnemonic() + " (SDM §6.15 Table 6-5)"));
        } else {
          vector = second.vector;
          code = second.errorCode;
        }
        software = false;
      } catch (PhysicalAccessException e) {
        state = RunState.STOPPED;
        stopReason = "physical access outside RAM during exception delivery: " + e.getMessage();
        return;
      }
    }
  }

  static boolean doubleFault(ExceptionVector first, ExceptionVector second) {
    return switch (first.kind()) {
      case CONTRIBUTORY -> second.kind() == ExceptionVector.Kind.CONTRIBUTORY;
      case PAGE_FAULT -> second.kind() == ExceptionVector.Kind.CONTRIBUTORY || second.kind() == ExceptionVector.Kind.PAGE_FAULT;
      case BENIGN, DOUBLE_FAULT -> false;
    };
  }

  private void record(ExceptionEvent e) {
    exceptions.add(e);
    if (stepChanges != null) {
      stepChanges.add(new StepTrace.Exception(e));
    }
  }

  /**
   * Delivers vector {@code n} through the IDT (SDM §6.10–6.14): the gate must lie within the IDT
   * limit (8n+7 legacy, 16n+15 IA-32e), else #GP(8n+2+EXT); it must be an interrupt or trap
   * gate, present, and point to a present code segment at the current privilege level. The frame
   * is pushed on the current stack; privilege changes (TSS stack switch) and IST are not modelled.
   */
  private void deliver(ExceptionVector vector, int errorCode, boolean ext, long returnRip, boolean software) {
    int n = vector.number();
    int idtError = n * 8 + 2 + (ext ? 1 : 0);
    boolean ia32e = longModeActive();
    int gateSize = ia32e ? 16 : 8;
    if ((long) n * gateSize + gateSize - 1 > idtrLimit) {
      throw CpuFault.gp(idtError, String.format("IDT vector %d needs %s <= IDTR.limit 0x%x (SDM §6.10, §6.14.1)",
          n, ia32e ? "16n+15" : "8n+7", idtrLimit));
    }
    long gateAddress = idtrBase + (long) n * gateSize;
    long lo = readLinear(gateAddress, 8, Access.READ);
    long hi = ia32e ? readLinear(gateAddress + 8, 8, Access.READ) : 0;
    int type = (int) (lo >>> 40) & 0xF;
    int dpl = (int) (lo >>> 45) & 3;
    if (type != 0xE && type != 0xF) {
      throw CpuFault.gp(idtError, String.format("IDT entry %d has type 0x%x, not a %s interrupt/trap gate (task and 16-bit gates not modelled)", n, type, ia32e ? "64-bit" : "32-bit"));
    }
    if (software && dpl < cpl()) {
      throw CpuFault.gp(n * 8 + 2, "software interrupt through a gate with DPL < CPL (SDM §6.12.1.1)");
    }
    if (((lo >>> 47) & 1) == 0) {
      throw new CpuFault(ExceptionVector.NP, idtError, "IDT gate " + n + " not present (SDM §6.12.1)");
    }
    int selector = (int) (lo >>> 16) & 0xFFFF;
    long offset = (lo & 0xFFFF) | ((lo >>> 32) & 0xFFFF_0000L) | (ia32e ? (hi & 0xFFFF_FFFFL) << 32 : 0);
    int extBit = ext ? 1 : 0;
    if ((selector & 0xFFFC) == 0) {
      throw CpuFault.gp(extBit, "IDT gate " + n + " has a null code selector");
    }
    long raw = readDescriptor(selector, extBit);
    SegmentCache cs = SegmentCache.fromDescriptor(selector & ~3 | cpl(), raw);
    if (!cs.code()) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "IDT gate " + n + " selector is not a code segment");
    }
    if (cs.dpl() != cpl() && !cs.conforming()) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "handler at another privilege level needs a TSS stack switch (not modelled)");
    }
    if (!cs.present()) {
      throw new CpuFault(ExceptionVector.NP, (selector & 0xFFFC) | extBit, "handler code segment not present");
    }
    if (ia32e && !(cs.longMode() && !cs.defaultBig())) {
      throw CpuFault.gp((selector & 0xFFFC) | extBit, "IA-32e interrupt gates must point to 64-bit code (SDM §6.14.1)");
    }
    if (ia32e && ((offset << 16) >> 16) != offset) {
      throw CpuFault.gp(extBit, String.format("handler address 0x%x is not canonical (SDM §6.14.1)", offset));
    }
    long oldCs = segments[Segment.CS.ordinal()].selector();
    boolean pushCode = vector.pushesErrorCode() && !software;
    long newRsp;
    if (ia32e) {
      // SDM §6.14.2: RSP is aligned to 16 and SS:RSP is pushed even without a privilege change
      long rsp = gpr[Gpr.RSP] & ~0xFL;
      long[] frame = pushCode
          ? new long[] {segments[Segment.SS.ordinal()].selector(), gpr[Gpr.RSP], rflags, oldCs, returnRip, errorCode & 0xFFFF_FFFFL}
          : new long[] {segments[Segment.SS.ordinal()].selector(), gpr[Gpr.RSP], rflags, oldCs, returnRip};
      newRsp = rsp - 8L * frame.length;
      checkCanonicalStack(newRsp);
      for (int i = 0; i < frame.length; i++) {
        writeLinear(rsp - 8L * (i + 1), 8, frame[i]);
      }
    } else {
      long esp = gpr[Gpr.RSP] & 0xFFFF_FFFFL;
      long[] frame = pushCode
          ? new long[] {rflags & 0xFFFF_FFFFL, oldCs, returnRip, errorCode & 0xFFFF_FFFFL}
          : new long[] {rflags & 0xFFFF_FFFFL, oldCs, returnRip};
      long[] linear = new long[frame.length];
      for (int i = 0; i < frame.length; i++) {
        linear[i] = segmentLinear(Segment.SS, (esp - 4L * (i + 1)) & 0xFFFF_FFFFL, 4, true);
      }
      for (int i = 0; i < frame.length; i++) {
        writeLinear(linear[i], 4, frame[i]);
      }
      newRsp = (esp - 4L * frame.length) & 0xFFFF_FFFFL;
      if (offset > cs.limit()) {
        throw CpuFault.gp(extBit, "handler offset beyond the code segment limit");
      }
    }
    markAccessed(selector, raw);
    gpr[Gpr.RSP] = newRsp;
    segments[Segment.CS.ordinal()] = cs;
    rip = offset;
    rflags &= ~(Rflags.TF | Rflags.NT | Rflags.RF | Rflags.VM);
    if (type == 0xE) {
      rflags &= ~Rflags.IF; // interrupt gates clear IF, trap gates keep it (SDM §6.12.1.3)
    }
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

  // ---- segmentation ---------------------------------------------------------------------------

  /** Reads the GDT descriptor for {@code selector}; #GP(selector) if it lies beyond GDTR.limit or in an LDT. */
  long readDescriptor(int selector, int ext) {
    int index = selector & 0xFFF8;
    if ((selector & 4) != 0) {
      throw CpuFault.gp((selector & 0xFFFC) | ext, "selector 0x" + Integer.toHexString(selector) + " refers to an LDT (not modelled)");
    }
    if (index + 7 > gdtrLimit) {
      throw CpuFault.gp((selector & 0xFFFC) | ext, String.format(
          "selector 0x%x beyond GDTR.limit 0x%x (SDM §3.5.1: (sel & ~7) + 7 <= limit)", selector, gdtrLimit));
    }
    return readLinear(gdtrBase + index, 8, Access.READ);
  }

  /**
   * The GDT descriptor for {@code selector} as the CPU would read it now (through paging), or
   * empty when the selector is null, in an LDT, beyond GDTR.limit or unmapped. For machine set-up.
   */
  public java.util.OptionalLong gdtDescriptor(int selector) {
    if ((selector & 0xFFFC) == 0) {
      return java.util.OptionalLong.empty();
    }
    try {
      return java.util.OptionalLong.of(readDescriptor(selector, 0));
    } catch (CpuFault f) {
      return java.util.OptionalLong.empty();
    }
  }

  /** Loading a descriptor whose accessed bit is clear sets it in the GDT: a memory write (SDM §3.4.5.1). */
  void markAccessed(int selector, long raw) {
    if ((raw & (1L << 40)) == 0) {
      long at = gdtrBase + (selector & 0xFFF8) + 5;
      writeLinear(at, 1, (raw >>> 40) | 1);
    }
  }

  /**
   * MOV/POP to DS, ES, FS, GS or SS (SDM Vol. 2 MOV "Operation" for protected mode). A null
   * selector is legal for DS/ES/FS/GS; for SS only in 64-bit mode at CPL≠3 with RPL=CPL.
   */
  void loadDataSegment(Segment seg, int selector) {
    selector &= 0xFFFF;
    int cpl = cpl();
    int rpl = selector & 3;
    if ((selector & 0xFFFC) == 0) {
      if (seg == Segment.SS && !(in64BitMode() && cpl != 3 && rpl == cpl)) {
        throw CpuFault.gp(0, "null selector into SS outside 64-bit mode (or RPL != CPL) (SDM Vol. 2 MOV)");
      }
      segments[seg.ordinal()] = SegmentCache.nullSelector(selector);
      return;
    }
    long raw = readDescriptor(selector, 0);
    SegmentCache c = SegmentCache.fromDescriptor(selector, raw);
    int err = selector & 0xFFFC;
    if (!c.codeOrData()) {
      throw CpuFault.gp(err, "selector 0x" + Integer.toHexString(selector) + " names a system descriptor");
    }
    if (seg == Segment.SS) {
      if (c.code() || !c.readableOrWritable() || rpl != cpl || c.dpl() != cpl) {
        throw CpuFault.gp(err, "SS needs a writable data segment with RPL = DPL = CPL (SDM Vol. 2 MOV)");
      }
      if (!c.present()) {
        throw new CpuFault(ExceptionVector.SS, err, "stack segment not present");
      }
    } else {
      if (c.code() && !c.readableOrWritable()) {
        throw CpuFault.gp(err, "execute-only code segment into a data segment register");
      }
      if ((!c.code() || !c.conforming()) && (rpl > c.dpl() || cpl > c.dpl())) {
        throw CpuFault.gp(err, "data segment DPL below max(CPL, RPL)");
      }
      if (!c.present()) {
        throw new CpuFault(ExceptionVector.NP, err, "segment not present");
      }
    }
    markAccessed(selector, raw);
    segments[seg.ordinal()] = SegmentCache.fromDescriptor(selector, raw | (1L << 40));
  }

  /**
   * The CS a far JMP, far RET or IRET loads, at the same privilege level (SDM Vol. 2 JMP, RET,
   * IRET): a present code segment, DPL = CPL (non-conforming) or DPL <= CPL (conforming), and not
   * L=1 with D=1 in IA-32e mode. Returns the cache; the caller commits it and marks it accessed.
   */
  SegmentCache checkFarCode(int selector, long raw, boolean isReturn) {
    int err = selector & 0xFFFC;
    SegmentCache c = SegmentCache.fromDescriptor(selector, raw);
    int cpl = cpl();
    if (!c.code()) {
      throw CpuFault.gp(err, "far transfer to a selector that is not a code segment");
    }
    if (isReturn) {
      if (c.rpl() < cpl) {
        throw CpuFault.gp(err, "return to a more privileged level");
      }
      if (c.conforming() ? c.dpl() > c.rpl() : c.dpl() != c.rpl()) {
        throw CpuFault.gp(err, "return CS DPL does not match its RPL");
      }
    } else if (c.conforming() ? c.dpl() > cpl : (c.dpl() != cpl || c.rpl() > cpl)) {
      throw CpuFault.gp(err, "far jump to code at another privilege level");
    }
    if (!c.present()) {
      throw new CpuFault(ExceptionVector.NP, err, "code segment not present");
    }
    if (longModeActive() && c.longMode() && c.defaultBig()) {
      throw CpuFault.gp(err, "CS with L=1 and D=1 is reserved in IA-32e mode (SDM §3.4.5)");
    }
    return c;
  }

  /** Commits a far-loaded CS with CPL kept (jmp) or set to its RPL (ret/iret). */
  void commitCode(int selector, long raw, int newCpl) {
    markAccessed(selector, raw);
    segments[Segment.CS.ordinal()] = SegmentCache.fromDescriptor((selector & ~3) | newCpl, raw | (1L << 40));
  }

  /**
   * Segmentation for a data access (SDM §3.4, §5.3): in 64-bit mode only FS/GS add a base and
   * there are no limit or null checks, but the address must be canonical (#SS for stack
   * accesses); elsewhere the segment must be usable and the access within its limit (#GP(0),
   * #SS(0) for SS), and the linear address wraps at 4 GiB. Expand-down segments are not modelled.
   */
  long segmentLinear(Segment seg, long offset, int size, boolean write) {
    SegmentCache c = segments[seg.ordinal()];
    if (in64BitMode()) {
      long la = (seg == Segment.FS || seg == Segment.GS) ? c.base() + offset : offset;
      if (seg == Segment.SS) {
        checkCanonicalStack(la);
      }
      return la;
    }
    ExceptionVector v = seg == Segment.SS ? ExceptionVector.SS : ExceptionVector.GP;
    if (!c.usable()) {
      throw new CpuFault(v, 0, "access through " + seg.att() + " holding a null selector (SDM §3.4.2)");
    }
    long off = offset & 0xFFFF_FFFFL;
    if (off + size - 1 > c.limit()) {
      throw new CpuFault(v, 0, String.format("offset 0x%x beyond the %s limit 0x%x", off, seg.att(), c.limit()));
    }
    if (write && (c.code() || !c.readableOrWritable())) {
      throw CpuFault.gp(0, "write through " + seg.att() + ", which is not writable data");
    }
    if (!write && c.code() && !c.readableOrWritable()) {
      throw CpuFault.gp(0, "read through execute-only " + seg.att());
    }
    return (c.base() + off) & 0xFFFF_FFFFL;
  }

  /** SDM §3.3.7.1: a non-canonical stack reference is #SS(0), not #GP. */
  void checkCanonicalStack(long la) {
    if (longModeActive() && ((la << 16) >> 16) != la) {
      throw new CpuFault(ExceptionVector.SS, 0, String.format("non-canonical stack address 0x%x", la));
    }
  }

  // ---- paging ---------------------------------------------------------------------------------

  /**
   * Linear → physical through the TLB, else the current tables; a #PF loads CR2 with the linear
   * address (SDM §4.7) and drops any TLB entry for it (§4.10.4.1). A hit whose rights do not allow
   * the access walks again, as does a write through an entry not yet dirty (§4.8).
   */
  long translate(long linear, int access) {
    int acc = access | (cpl() == 3 ? Access.USER : 0);
    boolean paged = paging.mode() != PagingMode.DISABLED;
    long la = longModeActive() ? linear : linear & 0xFFFF_FFFFL;
    if (paged) {
      long hit = tlb.hit(la, acc);
      if (hit >= 0) {
        return hit;
      }
    }
    long r = walker.walk(paging, linear, acc, true);
    if (paged) {
      tlb.afterWalk(la, acc, r);
    }
    if (PageWalker.isFault(r)) {
      ExceptionVector v = ExceptionVector.ofNumber(PageWalker.faultVector(r));
      if (v == ExceptionVector.PF) {
        cr2 = longModeActive() ? linear : linear & 0xFFFF_FFFFL;
        throw new CpuFault(v, PageWalker.faultErrorCode(r), String.format(
            "%s at linear 0x%x: %s", Access.describe(acc), cr2, walker.lastFaultCause()));
      }
      throw new CpuFault(v, PageWalker.faultErrorCode(r), String.format("linear 0x%x is not canonical (SDM §3.3.7.1)", linear));
    }
    return r;
  }

  private long nextLinear(long la, long delta) {
    long r = la + delta;
    return longModeActive() ? r : r & 0xFFFF_FFFFL;
  }

  /** Reads {@code size} bytes (1..8) at a linear address; an access straddling two pages translates both first. */
  long readLinear(long la, int size, int access) {
    if ((la & 0xFFF) + size <= PhysicalMemory.PAGE_SIZE) {
      long pa = translate(la, access);
      return switch (size) {
        case 1 -> memory.readU8(pa);
        case 2 -> memory.readU16(pa);
        case 4 -> memory.readU32(pa);
        case 8 -> memory.readU64(pa);
        default -> readBytes(pa, size);
      };
    }
    int first = (int) (PhysicalMemory.PAGE_SIZE - (la & 0xFFF));
    long pa1 = translate(la, access);
    long pa2 = translate(nextLinear(la, first), access);
    long v = 0;
    for (int i = 0; i < size; i++) {
      long pa = i < first ? pa1 + i : pa2 + (i - first);
      v |= (long) memory.readU8(pa) << (8 * i);
    }
    return v;
  }

  private long readBytes(long pa, int size) {
    long v = 0;
    for (int i = 0; i < size; i++) {
      v |= (long) memory.readU8(pa + i) << (8 * i);
    }
    return v;
  }

  /** Writes the low {@code size} bytes of {@code value}; both pages of a straddling write are translated before any byte is stored. */
  void writeLinear(long la, int size, long value) {
    long pa1;
    if ((la & 0xFFF) + size <= PhysicalMemory.PAGE_SIZE) {
      pa1 = translate(la, Access.WRITE);
      switch (size) {
        case 1 -> memory.writeU8(pa1, (int) value);
        case 2 -> memory.writeU16(pa1, (int) value);
        case 4 -> memory.writeU32(pa1, value);
        case 8 -> memory.writeU64(pa1, value);
        default -> {
          for (int i = 0; i < size; i++) {
            memory.writeU8(pa1 + i, (int) (value >>> (8 * i)));
          }
        }
      }
    } else {
      int first = (int) (PhysicalMemory.PAGE_SIZE - (la & 0xFFF));
      pa1 = translate(la, Access.WRITE);
      long pa2 = translate(nextLinear(la, first), Access.WRITE);
      for (int i = 0; i < size; i++) {
        memory.writeU8(i < first ? pa1 + i : pa2 + (i - first), (int) (value >>> (8 * i)));
      }
    }
    if (stepChanges != null) {
      stepChanges.add(new StepTrace.MemoryWrite(la, pa1, size, size == 8 ? value : value & ((1L << (8 * size)) - 1)));
    }
  }

  long read(Segment seg, long offset, int size) {
    return readLinear(segmentLinear(seg, offset, size, false), size, Access.READ);
  }

  void write(Segment seg, long offset, int size, long value) {
    writeLinear(segmentLinear(seg, offset, size, true), size, value);
  }

  // ---- instruction fetch ----------------------------------------------------------------------

  /**
   * Fetches instruction bytes through CS and the MMU (fetch access: XD applies; SDM §4.6). The
   * translation of the current page is reused within one instruction only, since tables can change
   * only between instructions.
   */
  private final class Fetcher implements ByteSource {
    private long page = -1;
    private long pagePhysical;
    private final byte[] bytes = new byte[16];
    private int count;
    private boolean started;
    private long first;

    void reset() {
      page = -1;
      count = 0;
      started = false;
    }

    byte[] fetched() {
      return java.util.Arrays.copyOf(bytes, count);
    }

    @Override
    public int byteAt(long address) {
      long la;
      if (in64BitMode()) {
        la = address;
      } else {
        SegmentCache cs = segments[Segment.CS.ordinal()];
        long off = address & 0xFFFF_FFFFL;
        if (off > cs.limit()) {
          throw CpuFault.gp(0, String.format("EIP 0x%x beyond the CS limit 0x%x", off, cs.limit()));
        }
        la = (cs.base() + off) & 0xFFFF_FFFFL;
      }
      long p = la & ~0xFFFL;
      if (p != page) {
        pagePhysical = translate(p | (la & 0xFFF), Access.FETCH) & ~0xFFFL;
        page = p;
      }
      int b = memory.readU8(pagePhysical | (la & 0xFFF));
      // kept by offset, not by call: the decoder may look at a byte twice (FF's ModRM reg field)
      if (!started) { // a kernel address is a negative long: no sentinel value will do
        started = true;
        first = address;
      }
      long at = address - first;
      if (at >= 0 && at < bytes.length) {
        bytes[(int) at] = (byte) b;
        count = Math.max(count, (int) at + 1);
      }
      return b;
    }
  }
}
