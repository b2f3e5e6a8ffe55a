package org.kexecsim.robustness;

import java.util.EnumSet;
import java.util.Set;
import org.kexecsim.input.CliNamed;
import org.kexecsim.relocate.Damage;

/** One column of the matrix: what the crash did, and whether an NMI arrives, and when. */
public enum RobustnessCase implements CliNamed {
  CLEAN("a healthy crashed kernel, no NMI", Set.of(), Nmi.NONE),
  GDT_ZEROED("the crashed GDT zeroed", Set.of(Damage.GDT_ZEROED), Nmi.NONE),
  GDT_POISON("the crashed GDT overwritten with slab poison 0x6b", Set.of(Damage.GDT_POISON), Nmi.NONE),
  IDT_ZEROED("the crashed IDT zeroed", Set.of(Damage.IDT_ZEROED), Nmi.NONE),
  ROUTINE_PTE("the crashed kernel's entry mapping the routine's VA cleared", Set.of(Damage.ROUTINE_PTE), Nmi.NONE),
  CRASH_IMAGE("a byte of the loaded image flipped after the load", Set.of(Damage.CRASH_IMAGE), Nmi.NONE),
  NMI_FIRST("an NMI before machine_kexec()'s tail runs (the crashed IDT still live)", Set.of(), Nmi.FIRST),
  NMI_IN_WINDOW("an NMI at the first instruction run with a zero-limit IDT", Set.of(), Nmi.WINDOW),
  IDT_ZEROED_NMI_FIRST("the crashed IDT zeroed, then an NMI before the tail", Set.of(Damage.IDT_ZEROED), Nmi.FIRST) {
    @Override
    public String cliName() {
      return "idt-zeroed+nmi-first"; // both columns' names: this one is the two together
    }
  };

  /** When the NMI comes: none, before the first instruction, at the zero-limit-IDT window's first. */
  public enum Nmi { NONE, FIRST, WINDOW }

  private final String description;
  private final Set<Damage> damage;
  private final Nmi nmi;

  RobustnessCase(String description, Set<Damage> damage, Nmi nmi) {
    this.description = description;
    this.damage = damage.isEmpty() ? Set.of() : EnumSet.copyOf(damage);
    this.nmi = nmi;
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
