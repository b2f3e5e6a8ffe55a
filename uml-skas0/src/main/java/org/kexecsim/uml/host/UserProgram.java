package org.kexecsim.uml.host;

import java.util.ArrayDeque;

/**
 * The user-mode code of one guest process. Its instructions are not modelled, only what the host
 * sees of them: data accesses, translated by the host MMU, and system call instructions. A step
 * that faults stays at the head and runs again when the process is resumed, like the faulting
 * instruction does.
 */
public final class UserProgram implements Code {
  private final ArrayDeque<UserStep> steps = new ArrayDeque<>();
  private long lastRead;

  public void add(UserStep s) {
    steps.add(s);
  }

  public boolean idle() {
    return steps.isEmpty();
  }

  /** The byte the last successful load returned. */
  public long lastRead() {
    return lastRead;
  }

  @Override
  public boolean step(HostMachine host, HostProcess p) {
    UserStep s = steps.peek();
    if (s == null) {
      return false;
    }
    switch (s) {
      case UserStep.Access a -> {
        long pa = host.userTranslate(p, a.address(), a.write());
        if (pa >= 0) {
          steps.poll();
          if (a.write()) {
            host.memory().writeU8(pa, a.value());
          } else {
            lastRead = host.memory().readU8(pa);
          }
        }
      }
      case UserStep.SyscallInsn c -> {
        steps.poll();
        host.syscallInstruction(p, c.nr(), c.a0(), c.a1(), c.a2(), c.a3());
      }
    }
    return true;
  }
}
