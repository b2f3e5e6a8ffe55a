package org.kexecsim.uml.host;

/**
 * The host signals the model uses. Each is its own type, so a wait status can be matched on the
 * signal; the numbers live once, in the switch below, which the compiler keeps exhaustive over
 * the sealed set (numbers from include/uapi/asm-generic/signal.h, x86).
 */
public sealed interface Signal {
  default int number() {
    return switch (this) {
      case Sigtrap s -> 5;
      case Sigill s -> 4;
      case Sigbus s -> 7;
      case Sigfpe s -> 8;
      case Sigkill s -> 9;
      case Sigusr1 s -> 10;
      case Sigsegv s -> 11;
      case Sigusr2 s -> 12;
      case Sigalrm s -> 14;
      case Sigstop s -> 19;
    };
  }

  /** "SIGSEGV": each type is named after its signal. */
  default String name() {
    return getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT);
  }

  /** A fault: carries what the host writes into the sigcontext. */
  record Sigsegv(SigContext context) implements Signal {}

  record Sigstop() implements Signal {}

  record Sigtrap() implements Signal {}

  record Sigusr1() implements Signal {}

  record Sigusr2() implements Signal {}

  record Sigkill() implements Signal {}

  /** An invalid opcode (#UD): arch/x86/kernel/traps.c handle_invalid_op. */
  record Sigill() implements Signal {}

  /** A bus error: #NP and #SS from user mode (traps.c exc_segment_not_present, exc_stack_segment). */
  record Sigbus() implements Signal {}

  /** An arithmetic fault: #DE (traps.c exc_divide_error). */
  record Sigfpe() implements Signal {}

  /** The timer's signal: UML's clock tick, relayed to the current process (arch/um/kernel/time.c um_timer). */
  record Sigalrm() implements Signal {}

  Signal SIGSTOP = new Sigstop();
  Signal SIGTRAP = new Sigtrap();
  Signal SIGUSR1 = new Sigusr1();
  Signal SIGUSR2 = new Sigusr2();
  Signal SIGKILL = new Sigkill();
  Signal SIGILL = new Sigill();
  Signal SIGBUS = new Sigbus();
  Signal SIGFPE = new Sigfpe();
  Signal SIGALRM = new Sigalrm();
}
