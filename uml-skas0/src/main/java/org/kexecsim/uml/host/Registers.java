package org.kexecsim.uml.host;

/**
 * The part of a host process's user registers the model uses (struct user_regs_struct): the
 * instruction and stack pointers, the system call number (orig_ax) with its six arguments, and
 * the return-value register (ax).
 */
public record Registers(
    long ip, long sp, long nr, long a0, long a1, long a2, long a3, long a4, long a5, long ret) {

  public static Registers at(long ip, long sp) {
    return new Registers(ip, sp, -1, 0, 0, 0, 0, 0, 0, 0);
  }

  public Registers withIp(long newIp) {
    return new Registers(newIp, sp, nr, a0, a1, a2, a3, a4, a5, ret);
  }

  public Registers withSp(long newSp) {
    return new Registers(ip, newSp, nr, a0, a1, a2, a3, a4, a5, ret);
  }

  public Registers withRet(long value) {
    return new Registers(ip, sp, nr, a0, a1, a2, a3, a4, a5, value);
  }

  public Registers withSyscall(long number, long... args) {
    long[] a = java.util.Arrays.copyOf(args, 6);
    return new Registers(ip, sp, number, a[0], a[1], a[2], a[3], a[4], a[5], ret);
  }

  public long arg(int i) {
    return switch (i) {
      case 0 -> a0;
      case 1 -> a1;
      case 2 -> a2;
      case 3 -> a3;
      case 4 -> a4;
      case 5 -> a5;
      default -> throw new IllegalArgumentException("syscall argument " + i);
    };
  }
}
