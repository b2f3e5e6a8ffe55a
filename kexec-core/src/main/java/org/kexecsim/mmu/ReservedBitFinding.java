package org.kexecsim.mmu;

import java.util.ArrayList;
import java.util.List;

/**
 * A present paging-structure entry that set reserved bits and was walked through anyway under
 * {@link ReservedBitPolicy#REPORT}: which entry, which bits, and what a CPU that follows the SDM
 * would have done with it.
 *
 * @param mode the paging mode the entry was read in
 * @param step the entry as read
 * @param bits the reserved bits it sets
 */
public record ReservedBitFinding(PagingMode mode, WalkStep step, long bits) {

  /** The findings among {@code steps}: those that carry reserved bits. */
  public static List<ReservedBitFinding> of(PagingMode mode, List<WalkStep> steps) {
    List<ReservedBitFinding> out = new ArrayList<>();
    for (WalkStep s : steps) {
      if (s.reservedBits() != 0) {
        out.add(new ReservedBitFinding(mode, s, s.reservedBits()));
      }
    }
    return List.copyOf(out);
  }

  /** Whether the entry is a PAE PDPTE, which the CPU checks at CR3 load, not on access. */
  public boolean paePdpte() {
    return mode == PagingMode.PAE && step.level() == 3;
  }

  /** The bits by name where the SDM names them ("A", "RW", "PS"), otherwise "bit N". */
  public String bitNames() {
    StringBuilder sb = new StringBuilder();
    for (long rest = bits; rest != 0; rest &= rest - 1) {
      int bit = Long.numberOfTrailingZeros(rest);
      String name = switch (bit) {
        case 1 -> "RW";
        case 2 -> "US";
        case 5 -> "A";
        case 6 -> "D";
        case 7 -> "PS";
        case 8 -> "G";
        case 63 -> "XD";
        default -> "bit " + bit;
      };
      sb.append(sb.isEmpty() ? "" : " ").append(name);
    }
    return sb.toString();
  }

  /** What hardware following the SDM does with this entry. */
  public String hardware() {
    if (paePdpte()) {
      // SDM §4.4.1 (Table 4-8): checked when the PDPTE registers are loaded, never per access.
      return "a CPU raises #GP(0) on the MOV to CR3 (or CR0/CR4) that loads it, and CR3 stays unchanged "
          + "(SDM §4.4.1); QEMU TCG neither checks it nor caches it, and sets A there itself";
    }
    return "a CPU raises #PF with error code P|RSVD on any access through it (SDM §4.7)";
  }

  /** One line: entry, bits, what hardware does. */
  public String describe() {
    return String.format("%s[%d] @0x%x = 0x%x sets reserved bits 0x%x (%s): %s", step.table(), step.index(),
        step.entryPhysical(), step.value(), bits, bitNames(), hardware());
  }
}
