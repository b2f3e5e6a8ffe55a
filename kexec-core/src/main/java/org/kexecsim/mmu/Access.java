package org.kexecsim.mmu;

/**
 * The kind of a memory access, as int flags for the walker's hot path. The values are the
 * positions of the matching bits of the #PF error code (SDM Vol. 3A §4.7), so an error code is
 * built by OR-ing them.
 */
public final class Access {
  private Access() {}

  public static final int READ = 0;
  /** W/R: the access is a write (error-code bit 1). */
  public static final int WRITE = 1 << 1;
  /** U/S: the access is made at CPL 3 (error-code bit 2). */
  public static final int USER = 1 << 2;
  /** I/D: the access is an instruction fetch (error-code bit 4). */
  public static final int FETCH = 1 << 4;

  public static boolean isWrite(int access) {
    return (access & WRITE) != 0;
  }

  public static boolean isUser(int access) {
    return (access & USER) != 0;
  }

  public static boolean isFetch(int access) {
    return (access & FETCH) != 0;
  }

  /** r, w or x, with a u prefix for user accesses: "r", "uw", "x". */
  public static String describe(int access) {
    String kind = isFetch(access) ? "x" : isWrite(access) ? "w" : "r";
    return (isUser(access) ? "u" : "") + kind;
  }
}
