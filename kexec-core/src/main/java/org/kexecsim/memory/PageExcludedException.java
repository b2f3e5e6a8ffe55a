package org.kexecsim.memory;

/**
 * A read of RAM that the dump does not hold: the page existed on the machine, but the tool that
 * wrote the dump left it out (makedumpfile's dump level excludes zero, cache, user and free
 * pages). Distinct from "outside RAM" so that callers can say which it was.
 */
public final class PageExcludedException extends PhysicalAccessException {
  public PageExcludedException(long physical, String why) {
    super(physical, String.format("physical page 0x%x is not in the dump (%s)", physical & -PhysicalMemory.PAGE_SIZE, why));
  }
}
