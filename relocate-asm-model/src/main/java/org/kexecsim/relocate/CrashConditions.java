package org.kexecsim.relocate;

import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;
import org.kexecsim.mmu.CpuModel;

/**
 * The machine a transition runs on and what the crash left behind: which CPU ({@link CpuModel}),
 * the damage to the crashed kernel, and an NMI arriving before a given instruction of
 * machine_kexec()'s tail (IF=0 does not mask it). The ranges are checked here only: the CLI
 * passes what it was given and reports the refusal under the option's name.
 *
 * @param cpuModel hardware (the SDM) or QEMU TCG's leniencies
 * @param damage what the crash damaged, applied after the load; the crash snapshot shows it
 * @param nmiBefore deliver an NMI before this instruction (1 = the first of machine_kexec's tail)
 * @param routineOffset where in its kernel-text page relocate_kernel sits: 0 is what the 2006 patch's
 *     {@code .align (1 << PAGE_SHIFT)} guarantees (seed 004, V2 relocate_kernel.S); a design that
 *     maps that page onto the control page, which memcpy() filled from offset 0, then fetches the
 *     wrong bytes after its CR3 load, unless a global TLB entry for the kernel text hides it
 */
public record CrashConditions(CpuModel cpuModel, Set<Damage> damage, OptionalLong nmiBefore, long routineOffset) {
  public static final CrashConditions NONE = new CrashConditions(CpuModel.HARDWARE, Set.of(), OptionalLong.empty(), 0);

  public CrashConditions(CpuModel cpuModel, Set<Damage> damage, OptionalLong nmiBefore) {
    this(cpuModel, damage, nmiBefore, 0);
  }

  public CrashConditions {
    damage = damage.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(damage));
    if (nmiBefore.isPresent() && nmiBefore.getAsLong() < 1) {
      throw new IllegalArgumentException("the NMI instruction number counts from 1, not " + nmiBefore.getAsLong());
    }
    if (routineOffset < 0 || routineOffset >= 4096) {
      throw new IllegalArgumentException("the routine's offset in its page must be in [0, 4096), not " + routineOffset);
    }
  }

  public CrashConditions withCpuModel(CpuModel m) {
    return new CrashConditions(m, damage, nmiBefore, routineOffset);
  }

  public CrashConditions withDamage(Set<Damage> d) {
    return new CrashConditions(cpuModel, d, nmiBefore, routineOffset);
  }

  public CrashConditions withNmiBefore(long instruction) {
    return new CrashConditions(cpuModel, damage, OptionalLong.of(instruction), routineOffset);
  }

  public CrashConditions withRoutineOffset(long offset) {
    return new CrashConditions(cpuModel, damage, nmiBefore, offset);
  }
}
