package org.kexecsim.relocate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.RunState;
import org.kexecsim.cpu.StaleTranslation;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.kimage.NewKernelSegments;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.ExceptionVector;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.pagetable.RootCheck;
import org.kexecsim.pagetable.RootPreservation;
import org.kexecsim.pagetable.TableWalk;
import org.kexecsim.transition.AllocatedPage;
import org.kexecsim.transition.PageOrigin;
import org.kexecsim.transition.PrepareReport;
import org.kexecsim.transition.TransitionDesign;
import org.kexecsim.transition.TransitionDesign;
import org.kexecsim.transition.Preparation;

/**
 * The crash transition end to end: boot a synthetic kernel whose text holds our relocate
 * routine, kexec_load an image (the design builds its tables), crash, run machine_kexec's C
 * side in Java, then execute the routine instruction by instruction until the new kernel's
 * entry program halts, or a fault, a triple fault or the step limit ends it.
 */
public final class TransitionRunner {
  private static final int TRACE_TAIL = 16;

  private TransitionRunner() {}

  public static TransitionResult run(TransitionRequest req) {
    return run(req, null);
  }

  /**
   * As {@link #run(TransitionRequest)}, handing every executed instruction to {@code trace}.
   * Tracing costs most of the run (a snapshot and a diff per instruction, one change per element
   * of a REP copy), so an untraced run goes without; the run is deterministic, so when it does
   * not succeed it is replayed traced for its last instructions.
   */
  public static TransitionResult run(TransitionRequest req, Consumer<StepTrace> trace) {
    return run(req, trace, CrashPlatform.NATIVE);
  }

  /** As {@link #run(TransitionRequest, Consumer)} with the crash path starting on {@code platform}. */
  static TransitionResult run(TransitionRequest req, Consumer<StepTrace> trace, CrashPlatform platform) {
    if (trace != null) {
      return run(req, trace, true, platform);
    }
    TransitionResult r = run(req, null, false, platform);
    // a hang is not replayed: its millions of traced steps would take minutes
    boolean replay = !(r.outcome().success() && r.problems().isEmpty()) && r.outcome() != TransitionOutcome.HUNG;
    return replay ? run(req, null, true, platform) : r;
  }

  /**
   * Where the crash path runs: the crashed kernel itself, or a hypervisor under it that owns the
   * crash region, rewrites the switch tables at load time and calls the routine from its own
   * stack ({@link XenTransition}).
   */
  interface CrashPlatform {
    CrashPlatform NATIVE = new CrashPlatform() {};

    default CrashedKernel boot(TransitionRequest req, java.util.OptionalLong linkVirtual) {
      return KernelBoot.boot(req.arch(), req.ram(), req.crashkernel(), req.seed(), linkVirtual);
    }

    /** After kexec_load: what the platform adds to the load; the report the crash path runs with. */
    default PrepareReport loaded(CrashedKernel kernel, PrepareReport prep, List<String> steps) {
      return prep;
    }

    /** The page the call to the routine runs on. */
    default StackPage stack(CrashedKernel kernel, Set<Long> busy) {
      long pa = stackPage(kernel, busy);
      return new StackPage(pa, kernel.directMapVirtual(pa));
    }
  }

  /** Where machine_kexec()'s call to the routine pushes its frame: one page, as the CPU and memory see it. */
  record StackPage(long physical, long virtual) {}

  private static TransitionResult run(TransitionRequest req, Consumer<StepTrace> trace, boolean traced, CrashPlatform platform) {
    Arch arch = req.arch();
    TransitionDesign design = req.design();
    RelocateAbi abi = req.effectiveAbi();
    checkCombination(req, abi);
    List<String> steps = new ArrayList<>();

    RelocateRoutine routine = req.routine().orElseGet(() -> RelocateRoutine.of(design, arch));
    CrashedKernel kernel = platform.boot(req, routine.linkVirtual());
    SparseMemory memory = kernel.memory();
    int offset = (int) req.conditions().routineOffset(); // [0, 4096): CrashConditions holds it there
    byte[] code = routine.bytesAt(kernel.relocateKernelVirtual() + offset);
    memory.write(kernel.relocateKernelPhysical() + offset, code, 0, code.length);
    // 6.1's machine_kexec is a C function the routine returns to (kexec jump): a HLT in the
    // kernel text page before relocate_kernel stands for its return point.
    long returnVirtual = kernel.relocateKernelVirtual() - PhysicalMemory.PAGE_SIZE;
    memory.write(kernel.text().physical(returnVirtual), RETURN_POINT, 0, RETURN_POINT.length);
    steps.add(String.format("boot: %s kernel, %s of RAM, CR3 0x%x, relocate_kernel at 0x%x (%d bytes: %s)",
        arch.cliName(), ByteSize.format(memory.ramMap().usableBytes()), kernel.registers().cr3(),
        kernel.relocateKernelVirtual(), routine.size(), routine.origin()));

    // machine_kexec's own writes come after the crash snapshot; only a design that wrote the live
    // tables at crash time has any (the live pgd and the kernel's static tables): keep their bytes from before.
    SparseMemory beforeLoad = design.writesLiveTablesAtCrash() ? memory.copy() : null;
    PrepareReport prep = Preparation.run(kernel, req.scenario());
    steps.add(String.format("kexec_load (%s): control page 0x%x, %d table page(s), switch root 0x%x%s",
        req.type().cliName(), prep.controlPage(), prep.pages().size(), prep.switchRoot(),
        prep.copyRoot().isPresent() ? String.format(", copy root 0x%x", prep.copyRoot().getAsLong()) : ""));
    prep = platform.loaded(kernel, prep, steps);

    // A routine away from its page start: memcpy(control_page, relocate_kernel, size) puts it at the
    // control page's start, and a design that enters at the kernel-text VA calls it there + offset.
    long routineVirtual = prep.switchVirtual();
    if (offset != 0) {
      memory.write(prep.controlPage(), new byte[(int) PhysicalMemory.PAGE_SIZE], 0, (int) PhysicalMemory.PAGE_SIZE);
      memory.write(prep.controlPage(), code, 0, code.length);
      if (prep.switchVirtual() == kernel.relocateKernelVirtual()) {
        routineVirtual += offset;
      }
      steps.add(String.format("relocate_kernel sits at +0x%x in its page (no .align PAGE_SIZE): copied to the control page's start, called at 0x%x",
          offset, routineVirtual));
    }
    IndirectionWalk walk = IndirectionWalk.read(memory, prep.indirectionHead(), arch.longBytes());
    NewKernelEntry entry = NewKernelEntry.at(arch, prep.entry(), req.preserveContext());
    long entryHolder = entryHolder(prep, walk);
    memory.write(entryHolder, entry.bytes(), 0, entry.bytes().length);

    Set<Long> busy = busyPages(prep, walk);
    if (design.makesControlPageExecutable(arch) && !req.skipSetMemoryX()) {
      int splits = ControlPageAlias.makeExecutable(kernel, prep.controlPage(), busy, req.seed() ^ 0x5e7_3e3L);
      steps.add(String.format("kexec_load: set_memory_x(__va(0x%x)) splits %d direct-map page(s)", prep.controlPage(), splits));
    }
    if (req.paeKernpgTablePdptes()) {
      long pdpt = prep.switchRoot() & ~0x1FL;
      for (int i = 0; i < 4; i++) {
        long e = memory.readU64(pdpt + 8L * i);
        if ((e & PageTableEntry.P) != 0) {
          memory.writeU64(pdpt + 8L * i, e | PageTableEntry.KERNPG_TABLE);
        }
      }
      steps.add(String.format("page_table_a's PDPTEs at 0x%x written with _KERNPG_TABLE (0x63), as V1 did", pdpt));
    }

    CrashConditions conditions = req.conditions();
    Purgatory purgatory = Purgatory.atLoad(memory, walk, prep.entry(), loadedSegments(req, kernel));
    boolean segmentsInC = MachineKexec.zapsDescriptorTablesInC(design, arch, abi) || req.paeKernpgTablePdptes();
    long tailVirtual = MachineKexec.writeTail(kernel, segmentsInC, abi == RelocateAbi.LINUX_6_1, routineVirtual);
    if (conditions.nmiBefore().isPresent()) {
      MachineKexec.installNmiHandler(kernel);
    }
    if (conditions.cpuModel() != CpuModel.HARDWARE) {
      steps.add("CPU model: " + conditions.cpuModel().cliName() + " (PAE PDPTEs read on every walk and unchecked at the CR3 load; "
          + "every MOV to CR3 flushes the whole TLB)");
    }

    SparseMemory pre = memory.copy();
    if (beforeLoad != null) {
      List<String> crashTime = new ArrayList<>();
      for (AllocatedPage p : prep.pages()) {
        if (p.origin() == PageOrigin.LIVE_TABLE || p.origin() == PageOrigin.KERNEL_IMAGE) {
          pre.copyPageFrom(beforeLoad, p.physical());
          crashTime.add(String.format("0x%x (%s)", p.physical(), p.role()));
        }
      }
      steps.add("crash: memory snapshot taken (the pre image); then machine_kexec writes " + String.join(", ", crashTime));
    } else {
      steps.add("crash: memory snapshot taken (the pre image)");
    }

    StackPage stackPage = platform.stack(kernel, busy);
    long stack = stackPage.physical();
    int damageStep = steps.size(); // the damage is the crash's: it is told before machine_kexec runs
    Cpu cpu;
    MachineKexec.Linux61Call call = null;
    if (abi == RelocateAbi.LINUX_6_1) {
      cpu = MachineKexec.crashedCpu(kernel, conditions.cpuModel());
      call = new MachineKexec.Linux61Call(prep.indirectionHead(), prep.controlPage(),
          kernel.directMapVirtual(prep.controlPage()), prep.switchRoot(), prep.swapPage().orElse(0),
          prep.entry(), req.preserveContext());
      MachineKexec.callLinux61(kernel, cpu, call, stack, routineVirtual, returnVirtual);
      steps.add(String.format("machine_kexec (6.1): IF=0, load_segments(), IDT and GDT zapped (its tail at 0x%x); page_list {0x%x, 0x%x, 0x%x, 0x%x}; "
          + "relocate_kernel(0x%x, page_list, 0x%x, %s) at 0x%x",
          tailVirtual, call.paControl(), call.vaControl(), call.table(), call.swapPage(), call.head(), call.start(),
          arch.is64Bit() ? "preserve_context=" + (req.preserveContext() ? 1 : 0) + ", host_mem_enc_active=0"
              : "has_pae=1, preserve_context=" + (req.preserveContext() ? 1 : 0),
          routineVirtual));
    } else {
      long table = design.routineTable(arch, prep);
      if (req.switchToIdentityTable()) {
        table = prep.copyRoot().orElseThrow(() -> new IllegalArgumentException(design.cliName() + " on " + arch.cliName() + " has no separate identity table"));
        steps.add(String.format("the routine is given the identity table 0x%x to switch to, which does not map its kernel VA", table));
      }
      MachineKexec.Arguments args = new MachineKexec.Arguments(prep.indirectionHead(), prep.controlPage(),
          prep.entry(), table, prep.copyRoot().orElse(0), arch == Arch.PAE);
      cpu = MachineKexec.setUp(kernel, prep, design, args, stack, stackPage.virtual(), conditions.cpuModel());
      steps.add(String.format("machine_kexec: IF=0%s, call relocate_new_kernel at 0x%x",
          segmentsInC ? String.format(", load_segments(), GDT and IDT zapped (its tail at 0x%x)", tailVirtual) : "", routineVirtual));
    }
    cpu.setRip(tailVirtual);
    // The crash damaged memory, not the CPU: the segment caches hold what was loaded while the
    // tables were sound. The crash snapshot shows the damage too.
    for (CrashDamage.Applied d : CrashDamage.apply(conditions.damage(), kernel, prep, walk, purgatory, req.seed())) {
      steps.add(damageStep++, "crash damage: " + d.sentence());
      d.pages().forEach(page -> pre.copyPageFrom(memory, page));
    }

    ArrayDeque<StepTrace> tail = new ArrayDeque<>();
    if (traced) {
      cpu.setTracer(t -> {
        if (tail.size() == TRACE_TAIL) {
          tail.removeFirst();
        }
        tail.addLast(t);
        if (trace != null) {
          trace.accept(t);
        }
      });
    }
    List<String> problems = new ArrayList<>();
    long cpuStart = System.nanoTime();
    IdtWindow.Watch window = new IdtWindow.Watch();
    Phase first = runPhase(cpu, req.maxSteps(), prep.entry(), "", steps, conditions, window);
    long cpuNanos = System.nanoTime() - cpuStart;
    Phase last = first;
    Optional<RoundTrip> roundTrip = Optional.empty();
    if (req.preserveContext()) {
      boolean returned = first.outcome() == null && cpu.state() == RunState.HALTED
          && cpu.rip() == returnVirtual + 1;
      if (returned) {
        long reentry = arch.is64Bit() ? cpu.register(Gpr.RAX) : cpu.register(Gpr.RAX) & 0xFFFF_FFFFL;
        steps.add(String.format("returned to machine_kexec after %d instructions, %s: image->start = 0x%x (the new kernel's re-entry point)",
            cpu.steps(), cpu.modeName(), reentry));
        List<String> tripProblems = new ArrayList<>();
        tripProblems.addAll(restoredState(kernel, cpu));
        Set<Long> scratch = new HashSet<>(List.of(prep.controlPage(), stack));
        prep.swapPage().ifPresent(scratch::add);
        int[] verified = verifyRoundTrip(pre, memory, scratch, walk, entryHolder, entry, tripProblems);
        steps.add(String.format("round trip: %d pages compared with the crash snapshot (%d destination, %d source), %s",
            verified[0], verified[1], verified[2], tripProblems.isEmpty() ? "every one where it started" : tripProblems.size() + " problem(s)"));
        problems.addAll(tripProblems);
        // restore_processor_state(), then the next kexec jump: machine_kexec again, start = the re-entry point
        MachineKexec.loadKernelDescriptors(kernel, cpu);
        MachineKexec.zapDescriptorTables(kernel, cpu);
        MachineKexec.callLinux61(kernel, cpu, new MachineKexec.Linux61Call(call.head(), call.paControl(), call.vaControl(),
            call.table(), call.swapPage(), reentry, true), stack, routineVirtual, returnVirtual);
        cpu.resume();
        steps.add(String.format("machine_kexec again (kexec jump back to the new kernel): relocate_kernel(0x%x, page_list, 0x%x, 1)",
            call.head(), reentry));
        long again = System.nanoTime();
        last = runPhase(cpu, req.maxSteps(), reentry, "re-", steps, CrashConditions.NONE, null);
        cpuNanos += System.nanoTime() - again;
        roundTrip = Optional.of(new RoundTrip(true, reentry, verified[0], verified[1], verified[2], List.copyOf(tripProblems)));
      } else {
        roundTrip = Optional.of(new RoundTrip(false, 0, 0, 0, 0, List.of()));
        if (first.outcome() == null) {
          problems.add("the routine did not return to machine_kexec after the new kernel jumped back (" + cpu.state() + " at 0x"
              + Long.toHexString(cpu.rip()) + ")");
        }
      }
    }
    TransitionOutcome outcome = last.outcome();
    String detail = last.detail();
    Optional<NewKernelEntry.EntryRecord> record = entry.read(memory);
    int[] copied = verifyCopies(req.type(), walk, pre, memory, prep.entry(), entry, problems);
    if (outcome == null) {
      switch (cpu.state()) {
        case TRIPLE_FAULT -> {
          outcome = TransitionOutcome.TRIPLE_FAULT;
          detail = cpu.stopReason();
        }
        case STOPPED -> {
          outcome = TransitionOutcome.STOPPED;
          detail = cpu.stopReason();
        }
        case RUNNING -> {
          outcome = TransitionOutcome.HUNG;
          detail = "no entry after " + cpu.steps() + " instructions";
        }
        case HALTED -> {
          Optional<NewKernelEntry.EntryRecord> second = entry.readSecond(memory);
          if (record.isEmpty() || (req.preserveContext() && (second.isEmpty() || roundTrip.map(t -> !t.returned()).orElse(true)))) {
            outcome = TransitionOutcome.STOPPED;
            detail = "halted at 0x" + Long.toHexString(cpu.rip()) + (record.isEmpty() ? " before the new kernel's entry ran"
                : req.preserveContext() ? " without the round trip: entered, returned, entered again" : "");
          } else {
            List<String> entryState = new ArrayList<>(entryProblems(arch, record.get(), cpu, prep));
            if (req.preserveContext()) {
              entryProblems(arch, second.get(), cpu, prep).forEach(p -> entryState.add("at the second entry: " + p));
            }
            problems.addAll(0, entryState);
            outcome = problems.isEmpty() ? TransitionOutcome.ENTERED : TransitionOutcome.ENTERED_WRONG_STATE;
            detail = describe(req.preserveContext() ? second.get() : record.get());
            Optional<String> refused = purgatory.verify(memory);
            if (refused.isPresent()) {
              outcome = TransitionOutcome.PURGATORY_REFUSED;
              detail = refused.get();
            }
          }
        }
      }
    }
    steps.add("outcome: " + outcome.text() + (detail.isEmpty() ? "" : " — " + detail));

    RootCheck pgd = pgdVerdict(kernel, pre, memory);
    for (StaleTranslation t : cpu.staleTranslations()) {
      steps.add("stale TLB entry used: " + t);
    }
    return new TransitionResult(req, kernel, prep, routine, steps, outcome, detail, cpu.steps(),
        cpu.exceptions(), record, problems, copied[0], copied[1], pgd, List.copyOf(tail), pre, memory,
        finalState(cpu), roundTrip, cpuNanos, cpu.staleTranslations(), window.result(), purgatory.regions().size());
  }

  /** The segments kexec_load was given: the same the preparation laid out for this seed. */
  private static List<org.kexecsim.kimage.Segment> loadedSegments(TransitionRequest req, CrashedKernel kernel) {
    return (req.type() == ImageType.CRASH
        ? NewKernelSegments.crash(kernel.crashRegion().orElseThrow(), req.seed())
        : NewKernelSegments.normal(kernel.memory().ramMap(), req.seed())).segments();
  }

  /** HLT; JMP back to it. */
  private static final byte[] RETURN_POINT = {(byte) 0xF4, (byte) 0xEB, (byte) 0xFD};

  /**
   * A kexec jump's return trip.
   *
   * @param returned whether the routine came back to machine_kexec
   * @param reentry the new kernel's re-entry point it returned (image->start for the next jump)
   * @param pagesCompared frames compared with the crash snapshot, of which destinations and sources
   */
  public record RoundTrip(boolean returned, long reentry, int pagesCompared, int destinations, int sources,
      List<String> problems) {}

  /** How one run of the CPU ended: a null outcome means it halted or stopped and is judged by the caller. */
  private record Phase(TransitionOutcome outcome, String detail) {}

  private static Phase runPhase(Cpu cpu, long maxSteps, long entry, String prefix, List<String> steps,
      CrashConditions conditions, IdtWindow.Watch window) {
    boolean reachedEntry = false;
    long limit = cpu.steps() + maxSteps;
    long nmiAt = conditions.nmiBefore().orElse(-1) - 1; // steps executed before it arrives
    while (cpu.state() == RunState.RUNNING && cpu.steps() < limit) {
      if (cpu.steps() == nmiAt) {
        steps.add(String.format("NMI before instruction %d at 0x%x, IDTR limit 0x%x, CR3 0x%x: delivered through vector 2",
            nmiAt + 1, cpu.rip(), cpu.idtrLimit(), cpu.control().cr3()));
        cpu.deliverNmi();
        if (cpu.state() != RunState.RUNNING) {
          break;
        }
      }
      if (window != null && !reachedEntry) {
        window.observe(cpu);
      }
      cpu.step();
      if (!reachedEntry && cpu.rip() == entry) {
        reachedEntry = true;
        steps.add(String.format("reached the new kernel's %sentry 0x%x after %d instructions, %s",
            prefix, entry, cpu.steps(), cpu.modeName()));
      }
      ExceptionEvent fault = firstFault(cpu);
      if (fault != null && cpu.state() == RunState.RUNNING) {
        return new Phase(TransitionOutcome.FAULTED,
            "delivered to the crashed kernel's handler at 0x" + Long.toHexString(cpu.rip()) + ": " + fault);
      }
    }
    return new Phase(null, "");
  }

  /** The first exception that is not a delivered NMI (whose handler returns). */
  private static ExceptionEvent firstFault(Cpu cpu) {
    for (ExceptionEvent e : cpu.exceptions()) {
      if (e.vector() != ExceptionVector.NMI) {
        return e;
      }
    }
    return null;
  }

  /** 6.1 rules for the combinations: its layout is mainline's, and a kexec jump needs a swap page. */
  private static void checkCombination(TransitionRequest req, RelocateAbi abi) {
    TransitionDesign design = req.design();
    if (abi == RelocateAbi.LINUX_6_1 && !design.linux61Convention()) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(
          "the 6.1 calling convention needs the mainline design's control page layout, not " + design.cliName());
    }
    if (abi == RelocateAbi.OWN && design.linux61Convention()) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(
          "the mainline design calls its routine the 6.1 way; --abi own is for legacy, page-table-a and single-table");
    }
    if (req.preserveContext() && (abi != RelocateAbi.LINUX_6_1 || req.type() != ImageType.NORMAL)) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(
          "preserve_context (kexec jump) needs a normal image (it has the swap page) and the 6.1 calling convention");
    }
    int bits = req.arch().is64Bit() ? 64 : 32;
    if (req.routine().isPresent() && req.routine().get().bits() != bits) {
      throw new org.kexecsim.kimage.ImpossibleLayoutException(String.format("the routine %s is %d-bit code; %s runs %d-bit",
          req.routine().get().origin(), req.routine().get().bits(), req.arch().cliName(), bits));
    }
  }

  /** virtual_mapped's work: CR0, CR3, CR4 back as they were at the call, paging and mode too. */
  private static List<String> restoredState(CrashedKernel kernel, Cpu cpu) {
    List<String> p = new ArrayList<>();
    var want = kernel.registers();
    var c = cpu.control();
    if (c.cr3() != want.cr3()) {
      p.add(String.format("CR3 0x%x after the return, not the old kernel's 0x%x", c.cr3(), want.cr3()));
    }
    if (c.cr0() != want.cr0()) {
      p.add(String.format("CR0 0x%x after the return, not 0x%x", c.cr0(), want.cr0()));
    }
    if (c.cr4() != want.cr4()) {
      p.add(String.format("CR4 0x%x after the return, not 0x%x", c.cr4(), want.cr4()));
    }
    return p;
  }

  /**
   * After a kexec jump came back, every page must hold what it held at the crash: the
   * destinations the old kernel's memory, the sources the new kernel's image (with the bytes the
   * new kernel wrote into its own record). Only machine_kexec's stack, the control page (saved
   * registers and the routine's stack) and the swap page are scratch.
   */
  private static int[] verifyRoundTrip(SparseMemory pre, SparseMemory post, Set<Long> scratch, IndirectionWalk walk,
      long entryHolder, NewKernelEntry program, List<String> problems) {
    Set<Long> frames = new java.util.TreeSet<>();
    for (long pfn : pre.presentFrameNumbers()) {
      frames.add(pfn << PhysicalMemory.PAGE_SHIFT);
    }
    for (long pfn : post.presentFrameNumbers()) {
      frames.add(pfn << PhysicalMemory.PAGE_SHIFT);
    }
    Set<Long> destinations = new HashSet<>();
    Set<Long> sources = new HashSet<>();
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      destinations.add(c.destination());
      sources.add(c.source());
    }
    long holderPage = entryHolder & ~0xFFFL;
    long recordFrom = program.recordPhysical() - program.entryPhysical() + entryHolder;
    long recordTo = recordFrom + program.recordBytes();
    int compared = 0;
    int dst = 0;
    int src = 0;
    for (long pa : frames) {
      if (scratch.contains(pa)) {
        continue;
      }
      boolean same;
      if (pa == holderPage) {
        same = rangeEquals(pre, post, pa, recordFrom) && rangeEquals(pre, post, recordTo, pa + PhysicalMemory.PAGE_SIZE);
      } else {
        same = post.pageEquals(pa, pre, pa);
      }
      compared++;
      dst += destinations.contains(pa) ? 1 : 0;
      src += sources.contains(pa) ? 1 : 0;
      if (!same && problems.size() < 8) {
        problems.add(String.format("after the round trip page 0x%x is not what it was at the crash%s", pa,
            destinations.contains(pa) ? " (a destination)" : sources.contains(pa) ? " (a source)" : ""));
      }
    }
    return new int[] {compared, dst, src};
  }

  private static boolean rangeEquals(SparseMemory a, SparseMemory b, long from, long to) {
    int n = (int) (to - from);
    if (n <= 0) {
      return true;
    }
    byte[] x = new byte[n];
    byte[] y = new byte[n];
    a.read(from, x, 0, n);
    b.read(from, y, 0, n);
    return java.util.Arrays.equals(x, y);
  }

  /** Where the entry program's bytes go: the purgatory page itself, or its source page. */
  private static long entryHolder(PrepareReport prep, IndirectionWalk walk) {
    long page = prep.entry() & ~0xFFFL;
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      if (c.destination() == page) {
        return c.source() + (prep.entry() & 0xFFF);
      }
    }
    return prep.entry(); // a crash image is loaded in place
  }

  private static Set<Long> busyPages(PrepareReport prep, IndirectionWalk walk) {
    Set<Long> busy = new HashSet<>();
    busy.add(prep.controlPage());
    prep.swapPage().ifPresent(busy::add);
    for (AllocatedPage p : prep.pages()) {
      busy.add(p.physical());
    }
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      busy.add(c.source());
      busy.add(c.destination());
    }
    busy.addAll(walk.indirectionPages());
    return busy;
  }

  /** A zero page near the end of the kernel image to serve as machine_kexec's stack. */
  private static long stackPage(CrashedKernel kernel, Set<Long> busy) {
    for (long pa = kernel.imageRange().end() - 16 * PhysicalMemory.PAGE_SIZE;
        pa > kernel.imageRange().start(); pa -= PhysicalMemory.PAGE_SIZE) {
      if (!busy.contains(pa) && !kernel.memory().mayBeNonZero(pa)) {
        return pa;
      }
    }
    throw new IllegalStateException("no free page in the kernel image for a stack");
  }

  /** Linux boot protocol: x86_64 enters in 64-bit mode with paging on; i386 in protected mode, paging off. */
  private static List<String> entryProblems(Arch arch, NewKernelEntry.EntryRecord r, Cpu cpu, PrepareReport prep) {
    List<String> p = new ArrayList<>();
    if (arch.is64Bit()) {
      if (r.width() != 64 || !cpu.in64BitMode()) {
        p.add("the entry did not run in 64-bit mode (" + cpu.modeName() + ")");
      }
      if (!r.pagingOn() || (r.efer() & Efer.LMA) == 0) {
        p.add("IA-32e paging was not active at the entry");
      }
      long copyRoot = prep.copyRoot().orElse(prep.switchRoot());
      if ((r.cr3() & ~0xFFFL) != copyRoot) {
        p.add(String.format("CR3 0x%x at the entry is not the identity table 0x%x", r.cr3(), copyRoot));
      }
    } else {
      if (r.width() != 32 || cpu.bits() != 32) {
        p.add("the entry did not run as 32-bit code");
      }
      if (r.pagingOn()) {
        p.add("paging was still on at the entry");
      }
      if ((r.cr0() & Cr0.PE) == 0) {
        p.add("protected mode was off at the entry");
      }
    }
    return p;
  }

  /** Normal kexec: every destination holds what its source held at the crash. */
  private static int[] verifyCopies(ImageType type, IndirectionWalk walk, SparseMemory pre, SparseMemory post,
      long entry, NewKernelEntry program, List<String> problems) {
    int intact = 0;
    long entryPage = entry & ~0xFFFL;
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      boolean same;
      if (c.destination() == entryPage) {
        // the program wrote its record after it arrived: compare the code in front of it
        int n = (int) (program.recordPhysical() - entryPage);
        byte[] a = new byte[n];
        byte[] b = new byte[n];
        pre.read(c.source(), a, 0, n);
        post.read(c.destination(), b, 0, n);
        same = java.util.Arrays.equals(a, b);
      } else {
        same = post.pageEquals(c.destination(), pre, c.source());
      }
      if (same) {
        intact++;
      } else if (problems.size() < 8) {
        problems.add(String.format("page 0x%x should hold what source 0x%x held", c.destination(), c.source()));
      }
    }
    if (type == ImageType.CRASH && !walk.copies().isEmpty()) {
      problems.add("a crash image's list should be just DONE, but it has copies");
    }
    return new int[] {walk.copies().size(), intact};
  }

  /** The crashed kernel's current pgd, BEFORE the load against after the run (the same check prepare makes). */
  private static RootCheck pgdVerdict(CrashedKernel kernel, SparseMemory pre, SparseMemory post) {
    return RootPreservation.check("CR3 of pid " + kernel.currentPid(), pre, post,
        TableWalk.Start.inMemory(kernel.arch().pagingMode(), kernel.currentPgd()), true);
  }

  private static String describe(NewKernelEntry.EntryRecord r) {
    return String.format("%d-bit code, paging %s, CR0 0x%x, CR3 0x%x, CS 0x%x",
        r.width(), r.pagingOn() ? "on" : "off", r.cr0(), r.cr3(), r.cs());
  }

  private static TransitionResult.MachineState finalState(Cpu cpu) {
    long[] gpr = new long[16];
    for (int i = 0; i < 16; i++) {
      gpr[i] = cpu.register(i);
    }
    var c = cpu.control();
    return new TransitionResult.MachineState(gpr, cpu.rip(), cpu.rflags(), c.cr0(), cpu.cr2(), c.cr3(), c.cr4(), c.efer(),
        cpu.segment(Segment.CS).selector(), cpu.segment(Segment.DS).selector(), cpu.segment(Segment.SS).selector(),
        cpu.modeName());
  }
}
