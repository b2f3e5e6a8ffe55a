package org.kexecsim.uml.host;

/** mmap/mprotect protection bits (include/uapi/asm-generic/mman-common.h). */
public final class Prot {
  private Prot() {}

  public static final int NONE = 0;
  public static final int READ = 1;
  public static final int WRITE = 2;
  public static final int EXEC = 4;
  public static final int RW = READ | WRITE;
  public static final int RWX = READ | WRITE | EXEC;

  public static String describe(int prot) {
    return ((prot & READ) != 0 ? "r" : "-") + ((prot & WRITE) != 0 ? "w" : "-")
        + ((prot & EXEC) != 0 ? "x" : "-");
  }
}
