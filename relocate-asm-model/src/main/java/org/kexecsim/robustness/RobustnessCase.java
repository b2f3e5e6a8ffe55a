package org.kexecsim.robustness;

import java.util.EnumSet;
import java.util.Set;
import org.kexecsim.relocate.Damage;

/** One column of the matrix: what the crash did, and whether an NMI arrives, and when. */
public enum RobustnessCase {
  CLEAN("clean", "a healthy crashed kernel, no NMI", Set.of(), Nmi.NONE),
  GDT_ZEROED("gdt-zeroed", "the crashed GDT zeroed", Set.of(Damage.GDT_ZEROED), Nmi.NONE),
  GDT_POISON("gdt-poison", "the crashed GDT overwritten with slab poison 0x6b", Set.of(Damage.GDT_POISON), Nmi.NONE),
  IDT_ZEROED("idt-zeroed", "the crashed IDT zeroed", Set.of(Damage.IDT_ZEROED), Nmi.NONE),
  ROUTINE_PTE("routine-pte", "the crashed kernel's entry mapping the routine's VA cleared", Set.of(Damage.ROUTINE_PTE), Nmi.NONE),
  CRASH_IMAGE("crash-image", "a byte of the loaded image flipped after the load", Set.of(Damage.CRASH_IMAGE), Nmi.NONE),
  NMI_FIRST("nmi-first", "an NMI before machine_kexec()'s tail runs (the crashed IDT still live)", Set.of(), Nmi.FIRST),
  NMI_IN_WINDOW("nmi-in-window", "an NMI at the first instruction run with a zero-limit IDT", Set.of(), Nmi.WINDOW),
  IDT_ZEROED_NMI_FIRST("idt-zeroed+nmi-first", "the crashed IDT zeroed, then an NMI before the tail", Set.of(Damage.IDT_ZEROED), Nmi.FIRST);

  /** When the NMI comes: none, before the first instruction, at the zero-limit-IDT window's first. */
  public enum Nmi { NONE, FIRST, WINDOW }

  private final String cliName;
  private final String description;
  private final Set<Damage> damage;
  private final Nmi nmi;

  RobustnessCase(String cliName, String description, Set<Damage> damage, Nmi nmi) {
    this.cliName = cliName;
    this.description = description;
    this.damage = damage.isEmpty() ? Set.of() : EnumSet.copyOf(damage);
    this.nmi = nmi;
  }

  public String cliName() {
    return cliName;
  }

  public String description() {
    return description;
  }

  public Set<Damage> damage() {
    return damage;
  }

  public Nmi nmi() {
    return nmi;
  }
}
