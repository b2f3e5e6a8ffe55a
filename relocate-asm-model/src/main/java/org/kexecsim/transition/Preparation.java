package org.kexecsim.transition;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kernel.KernelProcess;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.CrashRegion;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.IndirectionWalk;
import org.kexecsim.kimage.KImage;
import org.kexecsim.kimage.KexecException;
import org.kexecsim.kimage.KexecHost;
import org.kexecsim.kimage.NewKernelSegments;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingLoad;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.pagetable.RootCheck;
import org.kexecsim.pagetable.RootPreservation;
import org.kexecsim.pagetable.TableWalk;

/**
 * A prepare run, in the kernel's order: boot and crash a synthetic kernel, snapshot its memory,
 * kexec_load an image (kimage_alloc_init, the code into the control page,
 * machine_kexec_prepare, the segments, kimage_terminate), then judge what changed.
 */
public final class Preparation {
  private Preparation() {}

  /** The seed of the page allocator's shuffle, derived from the run's seed. */
  private static final long ALLOCATOR_SALT = 0x6B65_7865_6373_696DL;

  /**
   * @throws KexecException when the kernel would refuse the load (its errno and sentence)
   */
  public static PrepareReport run(PrepareRequest request) {
    CrashedKernel kernel = KernelBoot.boot(request.arch(), request.ram(), request.crashkernel(), request.seed());
    return run(kernel, request);
  }

  /** As {@link #run(PrepareRequest)} on an already booted kernel (whose memory it changes). */
  public static PrepareReport run(CrashedKernel kernel, PrepareRequest request) {
    Arch arch = kernel.arch();
    SparseMemory memory = kernel.memory();
    SparseMemory before = memory.copy();
    TransitionDesign design = request.design();
    KexecHost host = kernel.kexecHost(request.seed() ^ ALLOCATOR_SALT);

    NewKernelSegments segs;
    if (request.type() == ImageType.CRASH) {
      CrashRegion region = kernel.crashRegion().orElseThrow(() -> new KexecException(
          org.kexecsim.kimage.Errno.EADDRNOTAVAIL,
          "no crash region is reserved (crashkernel= missing or zero): a crash image has nowhere to go"));
      segs = NewKernelSegments.crash(region, request.seed());
    } else {
      segs = NewKernelSegments.normal(memory.ramMap(), request.seed());
    }
    KImage image = KImage.allocate(host, request.type(), segs.entry(), segs.segments(),
        design.controlCodePages(arch), request.controlPage());
    long codePage = image.controlCodePage() + design.codeOffset(arch);
    memory.copyPage(kernel.relocateKernelPhysical(), codePage); // memcpy(control_page, relocate_kernel, ...)

    TransitionTables tables = design.prepare(new TransitionContext(kernel, image, request.switchVirtual()));
    if (request.type() == ImageType.CRASH) {
      image.crashCopyVmcoreinfo(kernel.vmcoreinfoData());
    }
    image.loadSegments();

    List<MappingCheck> mappings = new ArrayList<>();
    for (RequiredMapping r : tables.required()) {
      mappings.add(check(memory, arch, kernel.cpu(), r));
    }
    long switchVirtual = tables.required().getFirst().virtual();

    PagingMode mode = arch.pagingMode();
    RootCheck oldCr3 = rootCheck("CR3 of pid " + kernel.currentPid(), before, memory, mode, kernel.currentPgd());
    List<RootCheck> others = new ArrayList<>();
    others.add(rootCheck(arch == Arch.X86_64 ? "init_top_pgt" : "swapper_pg_dir", before, memory, mode, kernel.kernelPgd()));
    for (KernelProcess p : kernel.processes()) {
      if (p.pid() != kernel.currentPid()) {
        others.add(rootCheck("pgd of pid " + p.pid() + " (" + p.comm() + ")", before, memory, mode, p.pgdPhysical()));
      }
    }

    IndirectionWalk walk = IndirectionWalk.read(memory, image.head(), arch.longBytes());
    List<Conflict> conflicts = new ArrayList<>(tables.conflicts());
    tables.copyRoot().ifPresent(root -> conflicts.addAll(copyHazards(memory, arch, kernel.cpu(), root, walk)));

    return new PrepareReport(
        arch.cliName(), design.cliName(), request.type().cliName(), request.seed(),
        memory.ramMap().usableBytes(), kernel.crashRegion().map(CrashRegion::range),
        codePage, image.swapPage(), switchVirtual, image.entry(), image.segments().size(),
        tables.pages(), tables.switchRoot(), tables.copyRoot(), mappings, oldCr3, others, conflicts,
        tables.splits(), image.head(), walk.copies().size(), walk.indirectionPages().size(),
        walk.sourcesRespectDestinations(), changedOutside(before, memory, kernel.crashRegion()));
  }

  /** A supervisor instruction fetch at the mapping's VA under its root, as after MOV CR3. */
  static MappingCheck check(PhysicalMemory memory, Arch arch, CpuFeatures cpu, RequiredMapping r) {
    PagingState s;
    switch (Paging.load(memory, arch, cpu, r.root())) {
      case PagingLoad.Refused(ControlWrite.Refused refused) -> {
        return new MappingCheck(r.name(), r.root(), r.virtual(), r.physical(), false,
            "MOV CR3 raises " + refused.vector().mnemonic() + ": " + refused.rule());
      }
      case PagingLoad.Unreadable u -> {
        return new MappingCheck(r.name(), r.root(), r.virtual(), r.physical(), false,
            String.format("MOV CR3 reads the PDPT at 0x%x, outside RAM", u.physical()));
      }
      case PagingLoad.Loaded(PagingState loaded) -> s = loaded;
    }
    Translation t = PageWalker.translate(memory, s, r.virtual(), Access.FETCH);
    return switch (t) {
      case Translation.Mapped m -> new MappingCheck(r.name(), r.root(), r.virtual(), r.physical(),
          m.physical() == r.physical(),
          String.format("%s page → 0x%x%s", m.pageSize().label(), m.physical(),
              m.physical() == r.physical() ? "" : " (not the control page)"));
      case Translation.Faulted f -> new MappingCheck(r.name(), r.root(), r.virtual(), r.physical(), false, f.describe());
      case Translation.Unreadable u -> new MappingCheck(r.name(), r.root(), r.virtual(), r.physical(), false,
          String.format("the %s table at 0x%x is outside RAM", PagingMode.entryName(u.level()), u.physical()));
    };
  }

  static RootCheck rootCheck(String label, SparseMemory before, SparseMemory after, PagingMode mode, long root) {
    return RootPreservation.check(label, before, after, TableWalk.Start.inMemory(mode, root), true);
  }

  /**
   * Under the copy root every page relocate_kernel touches must map to itself; a page that does
   * not (the identity address taken by the control page's VA) would be copied from or to the
   * wrong frame.
   */
  static List<Conflict> copyHazards(PhysicalMemory memory, Arch arch, CpuFeatures cpu, long root, IndirectionWalk walk) {
    PagingState s = Paging.supervisor(memory, arch, cpu, root);
    PageWalker walker = new PageWalker(memory);
    List<Conflict> out = new ArrayList<>();
    List<long[]> touched = new ArrayList<>(); // {address, access}
    for (IndirectionWalk.PageCopy c : walk.copies()) {
      touched.add(new long[] {c.source(), Access.READ});
      touched.add(new long[] {c.destination(), Access.WRITE});
    }
    for (long p : walk.indirectionPages()) {
      touched.add(new long[] {p, Access.READ});
    }
    for (long[] t : touched) {
      long r = walker.walk(s, t[0], (int) t[1], false);
      if (r != t[0]) {
        out.add(new Conflict(Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE, String.format(
            "the copy loop reaches page 0x%x through the copy root and gets %s instead of itself",
            t[0], PageWalker.isFault(r) ? "a fault" : String.format("0x%x", r))));
        if (out.size() >= 8) {
          break;
        }
      }
    }
    return out;
  }

  /** Frames whose bytes differ from the snapshot, outside the crash region. */
  static long changedOutside(SparseMemory before, SparseMemory after, Optional<CrashRegion> crash) {
    long n = 0;
    for (long pfn : after.presentFrameNumbers()) {
      long pa = pfn << PhysicalMemory.PAGE_SHIFT;
      if (crash.isPresent() && crash.get().contains(pa)) {
        continue;
      }
      if (!after.pageEquals(pa, before, pa)) {
        n++;
      }
    }
    return n;
  }
}
