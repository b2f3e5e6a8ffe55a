package org.kexecsim.relocate;

import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;
import org.kexecsim.mmu.CpuModel;

/**
 * The machine a transition runs on and what the crash left behind: which CPU ({@link CpuModel}),
 * the damage to the crashed kernel, and an NMI arriving before a given instruction of
 * machine_kexec()'s tail (IF=0 does not mask it).
 *
 * @param cpuModel hardware (the SDM) or QEMU TCG's leniencies
 * @param damage what the crash damaged, applied after the load; the crash snapshot shows it
 * @param nmiBefore deliver an NMI before this instruction (1 = the first of machine_kexec's tail)
 */
public record CrashConditions(CpuModel cpuModel, Set<Damage> damage, OptionalLong nmiBefore) {
  public static final CrashConditions NONE = new CrashConditions(CpuModel.HARDWARE, Set.of(), OptionalLong.empty());

  public CrashConditions {
    damage = damage.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(damage));
    if (nmiBefore.isPresent() && nmiBefore.getAsLong() < 1) {
      throw new IllegalArgumentException("the NMI instruction number counts from 1, not " + nmiBefore.getAsLong());
    }
  }

  public CrashConditions withCpuModel(CpuModel m) {
    return new CrashConditions(m, damage, nmiBefore);
  }

  public CrashConditions withDamage(Set<Damage> d) {
    return new CrashConditions(cpuModel, d, nmiBefore);
  }

  public CrashConditions withNmiBefore(long instruction) {
    return new CrashConditions(cpuModel, damage, OptionalLong.of(instruction));
  }
}
