package org.kexecsim.uml.mode;

import java.util.Locale;
import org.kexecsim.input.CliNamed;
import org.kexecsim.uml.UmlInputException;

/**
 * Which skas0 protocol the UML kernel speaks with its stub processes. {@code Y2005} is the
 * 2.6.13 patch of the seed (SIGSTOP-terminated register batches, SIGUSR1/SIGSTOP from the
 * SIGSEGV handler, eager copies in the guest kernel). {@code TODAY} is the ptrace mode Debian's
 * 6.1 user-mode-linux runs and the research notes measured (uml-anchors.md §5): xstate through
 * PTRACE_GETREGSET/SETREGSET, PTRACE_GETSIGINFO on a fault, int3-terminated stub runs over a
 * queue of at most 99 entries, copy-on-write fork with a stub clone, demand-paged exec.
 */
public enum Protocol implements CliNamed {
  Y2005 {
    @Override
    public String cliName() {
      return "2005"; // a Java name cannot start with a digit
    }
  },
  TODAY;

  public static Protocol parse(String name) {
    return CliNamed.find(Protocol.class, name.toLowerCase(Locale.ROOT))
        .orElseThrow(() -> new UmlInputException(CliNamed.unknown(Protocol.class, "protocol", name)));
  }
}
