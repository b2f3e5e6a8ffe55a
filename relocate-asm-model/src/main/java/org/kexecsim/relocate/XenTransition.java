package org.kexecsim.relocate;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.KernelBoot;
import org.kexecsim.kimage.CrashKernelSpec;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.transition.HypervisorLoad;
import org.kexecsim.transition.PrepareReport;
import org.kexecsim.transition.TransitionDesign;
import org.kexecsim.xen.XenCrashNotes;
import org.kexecsim.xen.XenMachine;

/**
 * The crash transition under Xen, dom0 a PV guest (the seed's Xen port): dom0 boots on its
 * pseudo-physical map, the machine places it through the p2m ({@link XenMachine}); dom0's
 * kexec_load prepares the design's tables in the crash region Xen reserved, then hands them to
 * the hypervisor (KEXEC_CMD_kexec_load, {@link HypervisorLoad}), which maps the control page at
 * its own VA and rewrites the switch tables. At the crash the hypervisor's path
 * (kexec_crash() → machine_crash_shutdown() → machine_kexec(), xen/common/kexec.c and
 * xen/arch/x86/machine_kexec.c) calls page_list[1] on its own stack, with interrupts off, on the
 * CR3 the crashing CPU had: dom0's, which carries the hypervisor's slot. From there the routine
 * runs as it does natively ("Goto 2 above").
 */
public final class XenTransition {
  private XenTransition() {}

  /** The hypervisor's crashkernel= when none is given. */
  public static final long DEFAULT_CRASH_BYTES = 256L << 20;

  /**
   * @param load what KEXEC_CMD_kexec_load did to page_list and the tables
   */
  public record Result(TransitionResult transition, XenMachine xen, HypervisorLoad.Result load) {
    /**
     * The notes the hypervisor's crash path leaves for the vmcore: XEN_ELFNOTE_CRASH_REGS of the
     * crashing CPU and XEN_ELFNOTE_CRASH_INFO, with the hypervisor's unsigned long (4 bytes for
     * 32-bit PAE Xen, 8 for x86_64).
     */
    public List<org.kexecsim.dump.CoreSpec.ExtraNote> crashNotes() {
      int w = xen.arch().longBytes();
      return List.of(
          new org.kexecsim.dump.CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_REGS, xen.crashRegs().descriptor(w)),
          new org.kexecsim.dump.CoreSpec.ExtraNote(XenCrashNotes.NAME, XenCrashNotes.CRASH_INFO, xen.crashInfo().descriptor(w)));
    }
  }

  public static Result run(TransitionRequest req) {
    return run(req, null);
  }

  /**
   * @throws org.kexecsim.kimage.KexecException when dom0's load or the hypercall refuses the image
   */
  public static Result run(TransitionRequest req, Consumer<StepTrace> trace) {
    if (req.type() != ImageType.CRASH) {
      throw new ImpossibleLayoutException("under --hypervisor xen the crash path is the hypervisor's: use a crash image");
    }
    Platform p = new Platform(crashBytes(req), req.design());
    TransitionResult r = TransitionRunner.run(req, trace, p);
    return new Result(r, p.xen, p.load);
  }

  /** The size of Xen's crash region: crashkernel='s size; a fixed base is not modelled (Xen places it). */
  static long crashBytes(TransitionRequest req) {
    return req.crashkernel().map(s -> CrashKernelSpec.parse(s, req.ram().usableBytes()).size()).orElse(DEFAULT_CRASH_BYTES);
  }

  private static final class Platform implements TransitionRunner.CrashPlatform {
    private final long crashBytes;
    private final TransitionDesign design;
    XenMachine xen;
    HypervisorLoad.Result load;

    Platform(long crashBytes, TransitionDesign design) {
      this.crashBytes = crashBytes;
      this.design = design;
    }

    @Override
    public CrashedKernel boot(TransitionRequest req, java.util.OptionalLong linkVirtual) {
      CrashedKernel dom0 = KernelBoot.boot(req.arch(), req.ram(), Optional.empty(), req.seed(), linkVirtual);
      xen = XenMachine.boot(dom0, crashBytes);
      return xen.onMachine();
    }

    @Override
    public PrepareReport loaded(CrashedKernel kernel, PrepareReport prep, List<String> steps) {
      var m = xen.machine();
      var crash = kernel.crashRegion().orElseThrow();
      long dom0Start = xen.p2m().machine(0);
      steps.add(steps.size() - 1, String.format(
          "xen: %s of machine RAM (%s); hypervisor [0x0, 0x%x), its crash region [0x%x, 0x%x); dom0's %s of pseudo-physical "
              + "RAM in %d extent(s) of %s, neighbours swapped (pfn 0 at machine 0x%x); %d dom0 table(s), %d entries rewritten to machine "
              + "frames; CR3 0x%x (pseudo-physical 0x%x)",
          ByteSize.format(m.ramMap().usableBytes()), m.ramMap().describeRanges(), xen.hypervisor().size(), crash.start(),
          crash.end() + 1, ByteSize.format(xen.dom0().memory().ramMap().usableBytes()),
          xen.p2m().pages() * 4096 / xen.extentBytes(), ByteSize.format(xen.extentBytes()), dom0Start,
          xen.conversion().tables(), xen.conversion().entries(), kernel.registers().cr3(), xen.dom0().registers().cr3()));
      long dom0Va = prep.switchVirtual();
      load = HypervisorLoad.load(m, kernel.arch(), kernel.cpu(), design, prep, xen::setFixmap);
      steps.add(String.format("KEXEC_CMD_kexec_load: page_list[0..1] = {0x%x, 0x%x}: the control page at the hypervisor's "
              + "fixmap VA; %d table page(s) overwritten with machine addresses (dom0's VA 0x%x no longer mapped)%s",
          load.pageList()[0], load.controlVirtual(), load.tablesRewritten(), dom0Va,
          load.pageList()[16] != 0 ? String.format(", table page 0x%x", load.pageList()[16]) : ""));
      steps.add(String.format("crash in dom0 → hypercall KEXEC_CMD_kexec → hypervisor: machine_crash_shutdown() notes "
              + "CR3 0x%x and the p2m (frame list list at mfn 0x%x); machine_kexec() calls page_list[1] = 0x%x on its stack at 0x%x",
          xen.crashRegs().cr3(), xen.p2mFrameListListMfn(), load.controlVirtual(), xen.stackVirtual()));
      return load.report();
    }

    @Override
    public TransitionRunner.StackPage stack(CrashedKernel kernel, Set<Long> busy) {
      return new TransitionRunner.StackPage(xen.stackPhysical(), xen.stackVirtual());
    }
  }
}
