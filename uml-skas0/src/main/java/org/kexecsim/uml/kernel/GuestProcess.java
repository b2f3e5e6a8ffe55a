package org.kexecsim.uml.kernel;

import org.kexecsim.uml.host.Registers;
import org.kexecsim.uml.host.UserProgram;

/**
 * A guest task: its mm, the user registers UML keeps for it while it is in the kernel (the
 * thread struct's regs), and its user code. {@code running} means its host process was resumed
 * and is executing user code; {@code inKernel} is tt's "inside the in-process signal handler".
 */
public final class GuestProcess {
  /** User code of guest pid N sits at this ip plus N in the model (never fetched). */
  public static final long USER_IP_BASE = 0x1000;

  private final int pid;
  private final UserProgram program = new UserProgram();
  GuestMm mm;
  Registers regs;
  boolean running;
  boolean inKernel;
  int hostPid = -1;

  GuestProcess(int pid, GuestMm mm) {
    this.pid = pid;
    this.mm = mm;
    this.regs = Registers.at(userIp(), mm.stackTop());
  }

  public int pid() {
    return pid;
  }

  public long userIp() {
    return USER_IP_BASE + pid;
  }

  public GuestMm mm() {
    return mm;
  }

  public UserProgram program() {
    return program;
  }

  public Registers regs() {
    return regs;
  }

  public void setRegs(Registers r) {
    regs = r;
  }

  public boolean running() {
    return running;
  }

  public void setRunning(boolean r) {
    running = r;
  }

  public boolean inKernel() {
    return inKernel;
  }

  public void setInKernel(boolean k) {
    inKernel = k;
  }

  /** The host process this task runs in now. */
  public int hostPid() {
    return hostPid;
  }

  public void setHostPid(int pid) {
    hostPid = pid;
  }

  @Override
  public String toString() {
    return "guest[" + pid + "]";
  }
}
