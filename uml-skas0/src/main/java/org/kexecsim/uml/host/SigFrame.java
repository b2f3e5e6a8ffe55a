package org.kexecsim.uml.host;

/**
 * The signal frame the host writes on the handler's stack (arch/x86/kernel/signal.c
 * setup_rt_frame, reduced to the fields the model uses): the return address, the signal number,
 * then a sigcontext with the interrupted registers and the fault's err, trapno and cr2. Offsets
 * are in words of the arch.
 */
public final class SigFrame {
  private SigFrame() {}

  public static final int RETADDR = 0;
  public static final int SIGNO = 1;
  public static final int SC_IP = 2;
  public static final int SC_SP = 3;
  public static final int SC_NR = 4;
  public static final int SC_RET = 5;
  public static final int SC_ERR = 6;
  public static final int SC_TRAPNO = 7;
  public static final int SC_CR2 = 8;
  /** Words reserved for the frame; the stack pointer is aligned to 16 below it. */
  public static final int WORDS = 16;
}
