package org.kexecsim.uml.host;

/** The host signals the model uses (numbers from include/uapi/asm-generic/signal.h, x86). */
public sealed interface Signal {
  int number();

  String name();

  /** A fault: carries what the host writes into the sigcontext. */
  record Sigsegv(SigContext context) implements Signal {
    public int number() {
      return 11;
    }

    public String name() {
      return "SIGSEGV";
    }
  }

  record Sigstop() implements Signal {
    public int number() {
      return 19;
    }

    public String name() {
      return "SIGSTOP";
    }
  }

  record Sigtrap() implements Signal {
    public int number() {
      return 5;
    }

    public String name() {
      return "SIGTRAP";
    }
  }

  record Sigusr1() implements Signal {
    public int number() {
      return 10;
    }

    public String name() {
      return "SIGUSR1";
    }
  }

  record Sigusr2() implements Signal {
    public int number() {
      return 12;
    }

    public String name() {
      return "SIGUSR2";
    }
  }

  record Sigkill() implements Signal {
    public int number() {
      return 9;
    }

    public String name() {
      return "SIGKILL";
    }
  }

  /** An invalid opcode (#UD): arch/x86/kernel/traps.c handle_invalid_op. */
  record Sigill() implements Signal {
    public int number() {
      return 4;
    }

    public String name() {
      return "SIGILL";
    }
  }

  /** A bus error: #NP and #SS from user mode (traps.c exc_segment_not_present, exc_stack_segment). */
  record Sigbus() implements Signal {
    public int number() {
      return 7;
    }

    public String name() {
      return "SIGBUS";
    }
  }

  /** An arithmetic fault: #DE (traps.c exc_divide_error). */
  record Sigfpe() implements Signal {
    public int number() {
      return 8;
    }

    public String name() {
      return "SIGFPE";
    }
  }

  /** The timer's signal: UML's clock tick, relayed to the current process (arch/um/kernel/time.c um_timer). */
  record Sigalrm() implements Signal {
    public int number() {
      return 14;
    }

    public String name() {
      return "SIGALRM";
    }
  }

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
