package org.kexecsim.cpu;

/**
 * The CPU used a TLB entry that the tables in force would not give: a global translation that
 * survived a MOV to CR3 (SDM Vol. 3A §4.10.4.1, "a transition that relies on a stale entry").
 *
 * @param step instructions executed before the one that used it
 * @param linear the linear address
 * @param access r, w or x (u-prefixed at CPL 3)
 * @param frame the physical frame the TLB gave
 * @param cachedUnder the table root the translation was made under
 * @param root the table root in force when it was used
 * @param fresh what a walk of {@code root} gives instead
 */
public record StaleTranslation(long step, long linear, String access, long frame, long cachedUnder, long root, String fresh) {
  @Override
  public String toString() {
    return String.format("instruction %d: %s at 0x%x used a TLB entry (frame 0x%x, made under root 0x%x); root 0x%x %s",
        step + 1, access, linear, frame, cachedUnder, root, fresh);
  }
}
