package org.kexecsim.relocate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.RunState;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.isa.Segment;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.pagetable.PageTableTree;
import org.kexecsim.transition.AllocatedPage;
import org.kexecsim.transition.PageOrigin;
import org.kexecsim.transition.PrepareReport;
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

  /** As {@link #run(TransitionRequest)}, handing every executed instruction to {@code trace}. */
  public static TransitionResult run(TransitionRequest req, Consumer<StepTrace> trace) {
    Arch arch = req.arch();
    String design = req.design().cliName();
    List<String> steps = new ArrayList<>();

    CrashedKernel kernel = KernelBoot.boot(arch, req.ram(), req.crashkernel(), req.seed());
    SparseMemory memory = kernel.memory();
    RelocateRoutine routine = RelocateRoutine.of(design, arch);
    memory.write(kernel.relocateKernelPhysical(), routine.bytes(), 0, routine.size());
    steps.add(String.format("boot: %s kernel, %s of RAM, CR3 0x%x, relocate_kernel at 0x%x (%d bytes of ours)",
        arch.cliName(), ByteSize.format(memory.ramMap().usableBytes()), kernel.registers().cr3(),
        kernel.relocateKernelVirtual(), routine.size()));

    // machine_kexec's own writes come after the crash snapshot; only the legacy design has any
    // (it wrote the live pgd and the kernel's static tables), so keep their bytes from before.
    SparseMemory beforeLoad = design.equals("legacy") ? memory.copy() : null;
    PrepareReport prep = Preparation.run(kernel, req.prepareRequest());
    steps.add(String.format("kexec_load (%s): control page 0x%x, %d table page(s), switch root 0x%x%s",
        req.type().cliName(), prep.controlPage(), prep.pages().size(), prep.switchRoot(),
        prep.copyRoot().isPresent() ? String.format(", copy root 0x%x", prep.copyRoot().getAsLong()) : ""));

    IndirectionWalk walk = IndirectionWalk.read(memory, prep.indirectionHead(), arch.longBytes());
    NewKernelEntry entry = NewKernelEntry.at(arch, prep.entry());
    long entryHolder = entryHolder(prep, walk);
    memory.write(entryHolder, entry.bytes(), 0, entry.bytes().length);

    Set<Long> busy = busyPages(prep, walk);
    if (design.equals("mainline") && arch.hasNx() && !req.skipSetMemoryX()) {
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

    long stack = stackPage(kernel, busy);
    long table = design.equals("legacy") && arch.is64Bit() ? prep.copyRoot().orElseThrow() : prep.switchRoot();
    if (req.switchToIdentityTable()) {
      table = prep.copyRoot().orElseThrow(() -> new IllegalArgumentException(design + " on " + arch.cliName() + " has no separate identity table"));
      steps.add(String.format("the routine is given the identity table 0x%x to switch to, which does not map its kernel VA", table));
    }
    MachineKexec.Arguments args = new MachineKexec.Arguments(prep.indirectionHead(), prep.controlPage(),
        prep.entry(), table, prep.copyRoot().orElse(0), arch == Arch.PAE);
    Cpu cpu = MachineKexec.setUp(kernel, prep, design, args, stack);
    steps.add(String.format("machine_kexec: IF=0, segments loaded%s, call relocate_new_kernel at 0x%x",
        MachineKexec.zapsDescriptorTablesInC(design, arch) ? ", GDT and IDT zapped" : "", prep.switchVirtual()));

    ArrayDeque<StepTrace> tail = new ArrayDeque<>();
    cpu.setTracer(t -> {
      if (tail.size() == TRACE_TAIL) {
        tail.removeFirst();
      }
      tail.addLast(t);
      if (trace != null) {
        trace.accept(t);
      }
    });
    TransitionOutcome outcome = null;
    String detail = "";
    boolean reachedEntry = false;
    while (cpu.state() == RunState.RUNNING && cpu.steps() < req.maxSteps()) {
      cpu.step();
      if (!reachedEntry && cpu.rip() == prep.entry()) {
        reachedEntry = true;
        steps.add(String.format("reached the new kernel's entry 0x%x after %d instructions, %s",
            prep.entry(), cpu.steps(), cpu.modeName()));
      }
      if (!cpu.exceptions().isEmpty() && cpu.state() == RunState.RUNNING) {
        outcome = TransitionOutcome.FAULTED;
        detail = "delivered to the crashed kernel's handler at 0x" + Long.toHexString(cpu.rip()) + ": " + cpu.exceptions().getFirst();
        break;
      }
    }
    Optional<NewKernelEntry.EntryRecord> record = entry.read(memory);
    List<String> problems = new ArrayList<>();
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
          if (record.isEmpty()) {
            outcome = TransitionOutcome.STOPPED;
            detail = "halted at 0x" + Long.toHexString(cpu.rip()) + " before the new kernel's entry ran";
          } else {
            problems.addAll(0, entryProblems(arch, record.get(), cpu, prep));
            outcome = problems.isEmpty() ? TransitionOutcome.ENTERED : TransitionOutcome.ENTERED_WRONG_STATE;
            detail = describe(record.get());
          }
        }
      }
    }
    steps.add("outcome: " + outcome.text() + (detail.isEmpty() ? "" : " — " + detail));

    TransitionResult.PgdVerdict pgd = pgdVerdict(kernel, pre, memory);
    return new TransitionResult(req, kernel, prep, routine, steps, outcome, detail, cpu.steps(),
        cpu.exceptions(), record, problems, copied[0], copied[1], pgd, List.copyOf(tail), pre, memory,
        finalState(cpu));
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

  private static TransitionResult.PgdVerdict pgdVerdict(CrashedKernel kernel, SparseMemory pre, SparseMemory post) {
    long root = kernel.currentPgd();
    PageTableTree tree = PageTableTree.of(pre, kernel.arch().pagingMode(), root);
    List<Long> changed = new ArrayList<>();
    for (long page : tree.tablePages()) {
      if (!post.pageEquals(page, pre, page)) {
        changed.add(page);
      }
    }
    return new TransitionResult.PgdVerdict(root, tree.tablePages().size(), changed);
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
