package org.kexecsim.transition;

import java.util.List;
import org.kexecsim.kimage.Arch;

/** The review's hazards, decided for one layout. */
final class SwitchConflicts {
  private SwitchConflicts() {}

  /**
   * Eric Biederman, 2006-05-26: "you can theoretically get a conflict between the virtual address
   * of your page table switching function and the physical address of the control code page".
   * When the switch code's page is the control page's identity page, one PTE must serve both;
   * it does only because both map the same frame.
   */
  static List<Conflict> switchVaIsControlPa(Arch arch, long switchVirtual, long control) {
    if ((switchVirtual >>> 12) != (control >>> 12)) {
      return List.of();
    }
    return List.of(new Conflict(Conflict.Kind.SWITCH_VA_IS_CONTROL_PA, String.format(
        "the switching code runs at 0x%x, which is also the identity address of the control page 0x%x: "
            + "both mappings share one %s entry (harmless only because they name the same frame)",
        switchVirtual, control, arch == Arch.I386 ? "32-bit PTE" : "PTE")));
  }
}
