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

  Signal SIGSTOP = new Sigstop();
  Signal SIGTRAP = new Sigtrap();
  Signal SIGUSR1 = new Sigusr1();
  Signal SIGUSR2 = new Sigusr2();
  Signal SIGKILL = new Sigkill();
}
