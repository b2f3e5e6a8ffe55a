package org.kexecsim.uml.mode;

import java.util.Locale;
import org.kexecsim.uml.UmlInputException;
import org.kexecsim.uml.kernel.ModeDriver;

/** How UML separates its kernel from its processes. */
public sealed interface UmlMode {
  /** tt: the kernel mapped in every process, a tracing thread, signals on every kernel entry. */
  record Tt() implements UmlMode {}

  /** skas3: a patched host with /proc/mm and PTRACE_FAULTINFO/SWITCH_MM, one host process per CPU. */
  record Skas3() implements UmlMode {}

  /** skas0: a stock host, one host process per address space, two stub pages. */
  record Skas0(Skas0Options options, Protocol protocol) implements UmlMode {
    /** The 2005 protocol of the seed. */
    public Skas0(Skas0Options options) {
      this(options, Protocol.Y2005);
    }
  }

  default String cliName() {
    return switch (this) {
      case Tt t -> "tt";
      case Skas3 s -> "skas3";
      case Skas0 s -> "skas0";
    };
  }

  /** The per-mode half of the kernel. */
  default ModeDriver driver() {
    return switch (this) {
      case Tt t -> new TtDriver();
      case Skas3 s -> new Skas3Driver();
      case Skas0 s -> s.protocol() == Protocol.TODAY ? new PtraceDriver() : new Skas0Driver(s.options());
    };
  }

  static UmlMode parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "tt" -> new Tt();
      case "skas3" -> new Skas3();
      case "skas0" -> new Skas0(Skas0Options.PATCHED);
      default -> throw new UmlInputException("unknown mode '" + name + "': expected tt, skas3 or skas0");
    };
  }
}
