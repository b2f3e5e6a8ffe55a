package org.kexecsim.transition;

/** A hazard the 2006 review argued about, found in a concrete layout. */
public record Conflict(Kind kind, String sentence) {

  public enum Kind {
    /**
     * Eric Biederman on page_table_a for i386: the VA the switching code runs at may be the very
     * address at which the control page is identity-mapped.
     */
    SWITCH_VA_IS_CONTROL_PA,
    /**
     * Magnus Damm on the single table: the control page's VA falls inside the identity range, so
     * a large identity page must be split (more table pages) and that address no longer maps
     * itself.
     */
    CONTROL_VA_IN_IDENTITY_RANGE,
    /** A transition mapping followed a present large leaf as if it were a table and wrote into RAM. */
    WROTE_THROUGH_LARGE_LEAF,
    /** The design wrote into a page table the crashed kernel was using. */
    OVERWROTE_LIVE_TABLE
  }
}
