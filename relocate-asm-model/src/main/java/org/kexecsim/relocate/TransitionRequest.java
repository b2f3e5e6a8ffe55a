package org.kexecsim.relocate;

import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.transition.PrepareRequest;
import org.kexecsim.transition.TransitionDesign;

/**
 * One crash transition to run: a prepare scenario (arch, design, RAM, image) and how to run it.
 *
 * @param scenario what prepare builds: the kernel, the image and the design's tables
 * @param skipSetMemoryX mainline only: skip making the control page's direct-map alias
 *     executable at load time, to show the NX fault that guards against it
 * @param paeKernpgTablePdptes page-table-a on PAE only: write page_table_a's PDPTEs with
 *     _KERNPG_TABLE as V1 of the 2006 patch did, to show the #GP at the CR3 load
 * @param switchToIdentityTable page-table-a on x86_64 only: hand the routine page_table_b (the
 *     identity map, which does not map the routine's kernel VA) as the first table to load: the
 *     mistake the 2006 review's rule forbids
 * @param maxSteps instructions before the run is called a hang
 * @param routine a user's routine instead of the design's own
 * @param abi how machine_kexec calls the routine; empty: the design's era ({@link RelocateAbi#forDesign})
 * @param preserveContext kexec jump (KEXEC_PRESERVE_CONTEXT, normal images only): the new kernel
 *     jumps back, the routine swaps the pages back and returns to machine_kexec, which then
 *     jumps to the new kernel a second time
 * @param conditions the CPU model, the crash's damage and an NMI (none by default)
 */
public record TransitionRequest(
    PrepareRequest scenario,
    boolean skipSetMemoryX,
    boolean paeKernpgTablePdptes,
    boolean switchToIdentityTable,
    long maxSteps,
    Optional<RelocateRoutine> routine,
    Optional<RelocateAbi> abi,
    boolean preserveContext,
    CrashConditions conditions) {

  public TransitionRequest(Arch arch, TransitionDesign design, RamMap ram, Optional<String> crashkernel, ImageType type,
      long seed, boolean skipSetMemoryX, boolean paeKernpgTablePdptes, boolean switchToIdentityTable, long maxSteps) {
    this(new PrepareRequest(arch, design, ram, crashkernel, type, seed, OptionalLong.empty(), OptionalLong.empty()),
        skipSetMemoryX, paeKernpgTablePdptes, switchToIdentityTable, maxSteps, Optional.empty(), Optional.empty(), false,
        CrashConditions.NONE);
  }

  public static final long DEFAULT_MAX_STEPS = 50_000_000L;

  public static TransitionRequest of(Arch arch, TransitionDesign design, RamMap ram, String crashkernel, ImageType type, long seed) {
    return new TransitionRequest(arch, design, ram, Optional.ofNullable(crashkernel), type, seed, false, false, false, DEFAULT_MAX_STEPS);
  }

  public Arch arch() {
    return scenario.arch();
  }

  public TransitionDesign design() {
    return scenario.design();
  }

  public RamMap ram() {
    return scenario.ram();
  }

  public Optional<String> crashkernel() {
    return scenario.crashkernel();
  }

  public ImageType type() {
    return scenario.type();
  }

  public long seed() {
    return scenario.seed();
  }

  public TransitionRequest withoutSetMemoryX() {
    return new TransitionRequest(scenario, true, paeKernpgTablePdptes, switchToIdentityTable, maxSteps, routine, abi, preserveContext, conditions);
  }

  public TransitionRequest withKernpgTablePdptes() {
    return new TransitionRequest(scenario, skipSetMemoryX, true, switchToIdentityTable, maxSteps, routine, abi, preserveContext, conditions);
  }

  public TransitionRequest withSwitchToIdentityTable() {
    return new TransitionRequest(scenario, skipSetMemoryX, paeKernpgTablePdptes, true, maxSteps, routine, abi, preserveContext, conditions);
  }

  public TransitionRequest withRoutine(RelocateRoutine r) {
    return new TransitionRequest(scenario, skipSetMemoryX, paeKernpgTablePdptes, switchToIdentityTable, maxSteps,
        Optional.of(r), abi, preserveContext, conditions);
  }

  public TransitionRequest withAbi(RelocateAbi a) {
    return new TransitionRequest(scenario, skipSetMemoryX, paeKernpgTablePdptes, switchToIdentityTable, maxSteps,
        routine, Optional.of(a), preserveContext, conditions);
  }

  public TransitionRequest withPreserveContext() {
    return new TransitionRequest(scenario, skipSetMemoryX, paeKernpgTablePdptes, switchToIdentityTable, maxSteps,
        routine, abi, true, conditions);
  }

  public TransitionRequest withConditions(CrashConditions c) {
    return new TransitionRequest(scenario, skipSetMemoryX, paeKernpgTablePdptes, switchToIdentityTable, maxSteps,
        routine, abi, preserveContext, c);
  }

  /** The ABI in force: the one asked for, else the design's era. */
  public RelocateAbi effectiveAbi() {
    return abi.orElse(RelocateAbi.forDesign(design()));
  }
}
